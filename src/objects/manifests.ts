import { parseAllDocuments, parseDocument } from 'yaml';
import type { RuntimeObject } from '../contract/types.js';
import { InvalidObjectError } from '../errors/index.js';

/**
 * The objects in a manifest: every document of a multi-document YAML or JSON file, or every line
 * of a file of JSON lines (what `stowage dump` writes), with `*List` kinds (ConfigMapList,
 * RoleList, List, …) and arrays expanded into their items. Empty YAML documents are skipped;
 * anything else that is not an object (a scalar document, a null item or line) is refused before
 * anything is stored, so that a pipeline that lost the objects cannot pass for a restore.
 */
export function parseManifests(text: string, source = 'manifest'): RuntimeObject[] {
  const documents = parseAllDocuments(text);
  const broken = documents.findIndex((document) => document.errors.length > 0);
  if (broken < 0) {
    return documents.flatMap((document, index) =>
      objectsOf(document.toJS(), `${source}: document ${index + 1}`),
    );
  }
  const lines = jsonLines(text);
  if (lines) return lines.flatMap(({ line, value }) => itemObjects(value, `${source}: line ${line}`));
  const problem = documents[broken]!.errors[0]!;
  throw new InvalidObjectError(`${source}: document ${broken + 1}: ${problem.message.split('\n')[0]}`, {
    field: '',
  });
}

/**
 * Each non-blank line read as a document of its own, with its line number; undefined if any line
 * is not one. Read as YAML, of which JSON is a subset, so that a line is held to the same rules as
 * a document (a duplicate key is an error, where JSON.parse would keep the last).
 */
function jsonLines(text: string): { readonly line: number; readonly value: unknown }[] | undefined {
  const values: { line: number; value: unknown }[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const document = parseDocument(line);
    if (document.errors.length > 0) return undefined;
    values.push({ line: index + 1, value: document.toJS() });
  }
  return values;
}

/** The objects of one document: none for an empty one, the items of an array or a `*List`, or itself. */
function objectsOf(document: unknown, where: string): RuntimeObject[] {
  if (document === null || document === undefined) return [];
  if (Array.isArray(document)) {
    return document.flatMap((item, index) => itemObjects(item, `${where}: item ${index + 1}`));
  }
  if (typeof document !== 'object') throw notAnObject(where, document);
  const value = document as Partial<RuntimeObject> & { items?: unknown };
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    return value.items.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw notAnObject(`${where}: items[${index}]`, item);
      }
      return item as RuntimeObject;
    });
  }
  return [value as RuntimeObject];
}

/** An item where an object must be: null is refused here, unlike an empty document. */
function itemObjects(item: unknown, where: string): RuntimeObject[] {
  if (item === null || typeof item !== 'object') throw notAnObject(where, item);
  return objectsOf(item, where);
}

function notAnObject(where: string, value: unknown): InvalidObjectError {
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return new InvalidObjectError(`${where} is ${what}, not an object`, { field: '' });
}
