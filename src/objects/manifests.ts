import { parseAllDocuments } from 'yaml';
import type { RuntimeObject } from '../contract/types.js';
import { InvalidObjectError } from '../errors/index.js';
import { inexactIntegerInJson, inexactIntegerInYaml, inexactIntegerProblem } from './inexact-integer.js';
import { duplicateKey } from './json-duplicate-keys.js';
import { jsonFaultPosition } from './json-fault.js';
import { parseJson } from './parse-json.js';

/** An object read from a manifest, with where it was: `<source>: document N` or `<source>: line N`. */
export interface ManifestObject {
  readonly object: RuntimeObject;
  readonly where: string;
}

/**
 * The objects in a manifest: every document of a multi-document YAML or JSON file, or every line
 * of a file of JSON lines (what `stowage dump` writes), with `*List` kinds (ConfigMapList,
 * RoleList, List, …) and arrays expanded into their items. Empty YAML documents are skipped;
 * anything else that is not an object (a scalar document, a null item or line) is refused before
 * anything is stored, so that a pipeline that lost the objects cannot pass for a restore.
 */
export function parseManifests(text: string, source = 'manifest'): RuntimeObject[] {
  return parseManifestEntries(text, source).map((entry) => entry.object);
}

/** parseManifests(), each object with where it was in the text, for errors that name it. */
export function parseManifestEntries(text: string, source = 'manifest'): ManifestObject[] {
  const unmarked = text.replace(/^\uFEFF/, '');
  const lines = jsonLines(unmarked);
  if (lines && !('failed' in lines)) {
    return lines.flatMap(({ line, value }) => itemObjects(value, `${source}: line ${line}`));
  }
  // YAML 1.2: `<<` is an ordinary key, not a merge key (kubectl's YAML 1.1 reader merges it). So
  // `get -o yaml` output, which may hold a `<<` key, goes back in as it came out.
  const documents = parseAllDocuments(unmarked);
  const broken = documents.findIndex((document) => document.errors.length > 0);
  if (broken < 0) {
    return documents.flatMap((document, index) => {
      const where = `${source}: document ${index + 1}`;
      return objectsOf(documentValue(document, where), where);
    });
  }
  // Lines of JSON up to a bad one: a file of JSON lines with that line broken, so say which.
  if (lines) {
    throw new InvalidObjectError(`${source}: line ${lines.failed.line}: ${lines.failed.message}`, {
      field: '',
    });
  }
  const problem = documents[broken]!.errors[0]!;
  // The first line only (the rest quotes the source, which may hold a Secret), without the colon
  // that introduced that quote.
  const message = problem.message.split('\n')[0]!.replace(/:$/, '');
  throw new InvalidObjectError(`${source}: document ${broken + 1}: ${message}`, { field: '' });
}

/**
 * A document's value. The parser refuses, while building it, aliases that would expand past its
 * limit ("billion laughs"), with an error of its own (a ReferenceError).
 */
function documentValue(document: ReturnType<typeof parseAllDocuments>[number], where: string): unknown {
  const inexact = inexactIntegerInYaml(document);
  if (inexact !== undefined)
    throw new InvalidObjectError(`${where}: ${inexactIntegerProblem(inexact)}`, { field: '' });
  try {
    return document.toJS();
  } catch (error) {
    throw new InvalidObjectError(`${where}: ${(error as Error).message}`, { field: '' });
  }
}

/**
 * Each non-blank line parsed as JSON, with its line number (LF or CRLF endings). Undefined when
 * the first such line is not JSON (no JSON lines at all); `failed` names the first line that is
 * not, after some that were. JSON.parse reads a dump of 20,000 objects in tens of milliseconds,
 * where a YAML parse per line took seconds. A line with a key twice in one object is refused, as
 * YAML refuses it (json-duplicate-keys.ts).
 */
function jsonLines(
  text: string,
):
  | { readonly line: number; readonly value: unknown }[]
  | { readonly failed: { readonly line: number; readonly message: string } }
  | undefined {
  const values: { line: number; value: unknown }[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const parsed = parseJsonLine(line);
    if ('problem' in parsed) {
      return values.length === 0 ? undefined : { failed: { line: index + 1, message: parsed.problem } };
    }
    values.push({ line: index + 1, value: parsed.value });
  }
  return values;
}

/** `line` as one JSON value with each key once per object, or why it is not one. */
function parseJsonLine(line: string): { readonly value: unknown } | { readonly problem: string } {
  let value: unknown;
  try {
    value = parseJson(line);
  } catch (error) {
    // Never V8's message, which quotes the line: a manifest may hold a Secret (json-fault.ts).
    const position = jsonFaultPosition(error);
    return { problem: position === undefined ? 'not valid JSON' : `not valid JSON (column ${position + 1})` };
  }
  const twice = duplicateKey(line);
  if (twice !== undefined) return { problem: `key ${JSON.stringify(twice)} appears twice in one object` };
  const inexact = inexactIntegerInJson(line);
  return inexact === undefined ? { value } : { problem: inexactIntegerProblem(inexact) };
}

/** The objects of one document: none for an empty one, the items of an array or a `*List`, or itself. */
function objectsOf(document: unknown, where: string): ManifestObject[] {
  if (document === null || document === undefined) return [];
  if (Array.isArray(document)) {
    return document.flatMap((item, index) => itemObjects(item, `${where}: item ${index + 1}`));
  }
  if (typeof document !== 'object') throw notAnObject(where, document);
  const value = document as Partial<RuntimeObject> & { items?: unknown };
  // A List has no name of its own. A named object of a kind that ends in List (an `AllowList` with
  // `items`) is itself the object: unpacked, a dump of it was restored as its items instead.
  const named = typeof value.metadata === 'object' && value.metadata !== null && 'name' in value.metadata;
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items) && !named) {
    return value.items.map((item, index) => {
      const at = `${where}: items[${index}]`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw notAnObject(at, item);
      return { object: item as RuntimeObject, where: at };
    });
  }
  return [{ object: value as RuntimeObject, where }];
}

/** An item where an object must be: null is refused here, unlike an empty document. */
function itemObjects(item: unknown, where: string): ManifestObject[] {
  if (item === null || typeof item !== 'object') throw notAnObject(where, item);
  return objectsOf(item, where);
}

function notAnObject(where: string, value: unknown): InvalidObjectError {
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return new InvalidObjectError(`${where} is ${what}, not an object`, { field: '' });
}
