import { InvalidObjectError } from '../errors/index.js';

/** Deeper nesting than this is refused rather than risking a stack overflow in a reader. */
export const MAX_DEPTH = 200;

/**
 * Serializes a JSON value canonically (object keys sorted by UTF-16 code unit, no whitespace) and, in
 * the same pass, refuses what JSON cannot carry exactly: functions, symbols, BigInt, undefined, NaN,
 * Infinity, cycles, sparse arrays and non-plain objects (Date, Map, class instances). The error names
 * the offending field path. `-0` is written as `0`, which is what JSON gives it back as.
 */
export function canonicalJson(value: unknown): string {
  const ancestors = new Set<object>();
  const path: (string | number)[] = [];

  const fail = (why: string): never => {
    const field = formatPath(path);
    throw new InvalidObjectError(`${field || 'object'}: ${why}`, { field });
  };

  const write = (node: unknown): string => {
    switch (typeof node) {
      case 'string':
        return JSON.stringify(node);
      case 'boolean':
        return node ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(node)) fail(`${node} cannot be represented in JSON`);
        return Object.is(node, -0) ? '0' : String(node);
      case 'object':
        return node === null ? 'null' : writeContainer(node);
      default:
        return fail(`a ${typeof node} cannot be represented in JSON`);
    }
  };

  const writeContainer = (node: object): string => {
    if (ancestors.has(node)) fail('the object contains a cycle');
    if (path.length >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    ancestors.add(node);
    const text = Array.isArray(node) ? writeArray(node) : writeObject(node);
    ancestors.delete(node);
    return text;
  };

  const writeArray = (node: unknown[]): string => {
    const parts = new Array<string>(node.length);
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      if (!(i in node)) fail('sparse arrays cannot be represented in JSON');
      parts[i] = write(node[i]);
      path.pop();
    }
    return `[${parts.join(',')}]`;
  };

  const writeObject = (node: object): string => {
    const proto = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) {
      fail(`a ${proto?.constructor?.name ?? 'non-plain object'} cannot be represented in JSON`);
    }
    if (Object.getOwnPropertySymbols(node).length > 0) fail('symbol-keyed properties cannot be represented');
    const keys = Object.keys(node).sort();
    const parts = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      path.push(key);
      parts[i] = `${JSON.stringify(key)}:${write((node as Record<string, unknown>)[key])}`;
      path.pop();
    }
    return `{${parts.join(',')}}`;
  };

  return write(value);
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
