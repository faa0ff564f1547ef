import { parseAllDocuments } from 'yaml';
import type { RuntimeObject } from '../contract/types.js';
import { InvalidObjectError } from '../errors/index.js';

/**
 * The objects in a manifest: every document of a multi-document YAML or JSON file, or every line
 * of a file of JSON lines (what `stowage dump` writes), with `*List` kinds (ConfigMapList,
 * RoleList, List, …) and top-level arrays expanded into their items. Empty documents are skipped;
 * an array item that is not an object is refused, so that a pipeline that produced nulls cannot
 * pass for an empty restore.
 */
export function parseManifests(text: string, source = 'manifest'): RuntimeObject[] {
  const documents = parseAllDocuments(text);
  const broken = documents.findIndex((document) => document.errors.length > 0);
  if (broken < 0) return documents.flatMap((document) => expandList(document.toJS(), source));
  const lines = jsonLines(text);
  if (lines) return lines.flatMap(({ line, value }) => objectsIn(value, `${source}: line ${line}`, source));
  const problem = documents[broken]!.errors[0]!;
  throw new InvalidObjectError(`${source}: document ${broken + 1}: ${problem.message.split('\n')[0]}`, {
    field: '',
  });
}

/** Every non-blank line parsed as JSON, with its line number, or undefined if any line is not JSON. */
function jsonLines(text: string): { readonly line: number; readonly value: unknown }[] | undefined {
  const values: { line: number; value: unknown }[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      values.push({ line: index + 1, value: JSON.parse(line) });
    } catch {
      return undefined;
    }
  }
  return values;
}

function expandList(document: unknown, source: string): RuntimeObject[] {
  if (document === null || document === undefined) return [];
  if (Array.isArray(document)) {
    return document.flatMap((item, index) => objectsIn(item, `${source}: array item ${index + 1}`, source));
  }
  const value = document as Partial<RuntimeObject> & { items?: unknown };
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    return value.items as RuntimeObject[];
  }
  return [value as RuntimeObject];
}

/** The objects in `item`, which `where` names, refusing one that is no object at all. */
function objectsIn(item: unknown, where: string, source: string): RuntimeObject[] {
  if (item === null || typeof item !== 'object') {
    throw new InvalidObjectError(`${where} is ${item === null ? 'null' : typeof item}, not an object`, {
      field: '',
    });
  }
  return expandList(item, source);
}
