import { InvalidObjectError } from '../errors/index.js';
import { typeNamed } from '../errors/quoted.js';
import { type AddressFields, checkSameAddress } from './identity.js';
import { quotedKey, quoteString } from './json-quote.js';

/** Deeper nesting than this is refused rather than risking a stack overflow in a reader. */
export const MAX_DEPTH = 200;

/*
 * What JSON cannot carry exactly, worded once for the two walks that refuse it: the encoder here
 * and the copy the runtime takes of a large object (plain-copy.ts), so both refuse the same objects
 * with the same message.
 */
const CYCLE = 'the object contains a cycle';
const TOO_DEEP = `nesting deeper than ${MAX_DEPTH} levels`;
export const SPARSE = 'sparse arrays cannot be represented in JSON';

/** Why a number cannot be written as JSON, or undefined when it can. */
export function unwritableNumber(value: number): string | undefined {
  return Number.isFinite(value) ? undefined : `${value} cannot be represented in JSON`;
}

/** Why a value of this type (not string, number, boolean or object) cannot be written as JSON. */
export function unwritableType(value: unknown): string {
  return `${typeNamed(value)} cannot be represented in JSON`;
}

/** Why an object is not plain JSON data (a class instance, symbol keys), or undefined when it is. */
export function unwritableObject(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !isObjectPrototype(proto)) {
    const name = proto.constructor?.name;
    // An object made with Object.create(plainObject) inherits its constructor: "a Object" said
    // plain objects were refused.
    const instanceOf = typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : undefined;
    return `${instanceOf ?? 'an object that inherits from another object'} cannot be represented in JSON`;
  }
  if (Object.getOwnPropertySymbols(value).length > 0) return 'symbol-keyed properties cannot be represented';
  return undefined;
}

/**
 * Object.prototype of another realm (a `vm` context, an iframe), whose plain objects are plain
 * data like this realm's: refused before as "a Object", which JSON.stringify writes as any other.
 */
function isObjectPrototype(proto: { constructor?: unknown }): boolean {
  return (
    Object.getPrototypeOf(proto) === null &&
    typeof proto.constructor === 'function' &&
    proto.constructor.name === 'Object' &&
    Object.prototype.toString.call(proto) === '[object Object]'
  );
}

/**
 * Records `node` as the container entered at `depth`, or says why it cannot be: it encloses
 * itself, or it is nested too deep. A linear scan of `ancestors` (entries past `depth` are stale):
 * real objects are a few levels deep, and MAX_DEPTH bounds the worst case.
 */
export function enterContainer(ancestors: object[], node: object, depth: number): string | undefined {
  for (let d = 0; d < depth; d++) {
    if (ancestors[d] === node) return CYCLE;
  }
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  ancestors[depth] = node;
  return undefined;
}

/** The InvalidObjectError for `why` at the field `path` leads to. */
export function invalidAt(path: readonly (string | number)[], why: string): InvalidObjectError {
  const field = formatPath(path);
  return new InvalidObjectError(`${field || 'object'}: ${why}`, { field });
}

/**
 * Serializes a JSON value canonically (object keys sorted by UTF-16 code unit, no whitespace) and, in
 * the same pass, refuses what JSON cannot carry exactly: functions, symbols, BigInt, undefined, NaN,
 * Infinity, cycles, sparse arrays and non-plain objects (Date, Map, class instances). The error names
 * the offending field path. `-0` is written as `0`, which is what JSON gives it back as.
 */
export function canonicalJson(value: unknown, address?: AddressFields): string {
  return new CanonicalWriter(Number.POSITIVE_INFINITY, address).serialize(value);
}

/** Thrown inside the writer when the output outgrows its budget; never escapes this module. */
const OVER_BUDGET = Symbol('over budget');

/**
 * canonicalJson() for values whose output is at most `maxLength` UTF-16 code units, or undefined for
 * larger ones: the walk stops soon after the budget is passed, so a large value costs about
 * `maxLength` characters of work, not its whole size. Anything found unrepresentable before that
 * point still throws; what lies beyond it was not checked.
 */
export function canonicalJsonUpTo(
  value: unknown,
  maxLength: number,
  address?: AddressFields,
): string | undefined {
  try {
    const json = new CanonicalWriter(maxLength, address).serialize(value);
    // The walk checks before each field, so the last closing brackets can still overshoot.
    return json.length <= maxLength ? json : undefined;
  } catch (error) {
    if (error === OVER_BUDGET) return undefined;
    throw error;
  }
}

/**
 * One serialization. This runs for every put, so it is built for the hot path: methods on one
 * object instead of closures created per call, the output appended to a single string instead of
 * per-container part arrays, and the walk's position kept in two depth-indexed stacks that are
 * overwritten, not pushed and popped, per field. `path[d]` is the key or index taken at depth `d`;
 * the field path is only formatted when something fails.
 */
class CanonicalWriter {
  private out = '';
  /** The containers enclosing the current one, for cycle detection; entries past the depth are stale. */
  private readonly ancestors: object[] = [];
  private readonly path: (string | number)[] = [];
  /** The address fields as this walk read them, to hold against `address`. */
  private written: { -readonly [F in keyof AddressFields]?: unknown } = {};

  /**
   * `address`: the values the object's key was derived from. The walk reads the object again, and a
   * getter, a Proxy or a property that is not enumerable can answer it differently: the object
   * would be stored under a key its bytes do not hold, unreadable, failing every listing of its kind.
   */
  constructor(
    private readonly maxLength: number,
    private readonly address: AddressFields | undefined,
  ) {}

  serialize(root: unknown): string {
    this.write(root, 0);
    if (this.address) checkSameAddress(this.address, this.written);
    return this.out;
  }

  /** Notes `value`, read at `key` of an object at `depth`, if it is one of the address fields. */
  private noteAddress(depth: number, key: string, value: unknown): void {
    if (depth === 0) {
      if (key === 'apiVersion' || key === 'kind') this.written[key] = value;
    } else if (this.path[0] === 'metadata' && (key === 'name' || key === 'namespace')) {
      this.written[key] = value;
    }
  }

  /** Appends `node`, found at `depth` (the number of keys leading to it). */
  private write(node: unknown, depth: number): void {
    switch (typeof node) {
      case 'string':
        if (this.out.length + node.length > this.maxLength) throw OVER_BUDGET;
        this.out += quoteString(node);
        return;
      case 'boolean':
        this.out += node ? 'true' : 'false';
        return;
      case 'number': {
        const why = unwritableNumber(node);
        if (why) this.fail(depth, why);
        this.out += Object.is(node, -0) ? '0' : String(node);
        return;
      }
      case 'object':
        if (node === null) this.out += 'null';
        else this.writeContainer(node, depth);
        return;
      default:
        this.fail(depth, unwritableType(node));
    }
  }

  private writeContainer(node: object, depth: number): void {
    const why = enterContainer(this.ancestors, node, depth);
    if (why) this.fail(depth, why);
    if (Array.isArray(node)) this.writeArray(node, depth);
    else this.writeObject(node, depth);
  }

  private writeArray(node: unknown[], depth: number): void {
    const child = depth + 1;
    this.out += '[';
    for (let i = 0; i < node.length; i++) {
      this.path[depth] = i;
      if (!(i in node)) this.fail(child, SPARSE);
      if (i > 0) this.out += ',';
      if (this.out.length > this.maxLength) throw OVER_BUDGET;
      this.write(node[i], child);
    }
    this.out += ']';
  }

  private writeObject(node: object, depth: number): void {
    const why = unwritableObject(node);
    if (why) this.fail(depth, why);
    const keys = Object.keys(node);
    // Many objects arrive with their keys in order already; checking is cheaper than sorting.
    for (let i = 1; i < keys.length; i++) {
      if ((keys[i - 1] as string) > (keys[i] as string)) {
        keys.sort();
        break;
      }
    }
    const child = depth + 1;
    this.out += '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.path[depth] = key;
      if (i > 0) this.out += ',';
      if (this.out.length > this.maxLength) throw OVER_BUDGET;
      this.out += quotedKey(key);
      const value = (node as Record<string, unknown>)[key];
      if (depth < 2 && this.address) this.noteAddress(depth, key, value);
      this.write(value, child);
    }
    this.out += '}';
  }

  /** `depth` is the length of the path to the offending value. */
  private fail(depth: number, why: string): never {
    throw invalidAt(this.path.slice(0, depth), why);
  }
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
