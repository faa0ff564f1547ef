import type { RuntimeObject } from '../contract/types.js';
import { ObjectTooLargeError } from '../errors/index.js';
import {
  enterContainer,
  invalidAt,
  SPARSE,
  unwritableNumber,
  unwritableObject,
  unwritableType,
} from './canonical-json.js';

/**
 * A deep copy of an object as plain JSON data, for the runtime's objects too large to encode on the
 * caller's thread. Taken during the call, it fixes the object as it was then: the copy waits in the
 * mailbox, so a change the caller makes after putObject() returns is not what gets stored. It
 * refuses, with canonicalJson()'s error for the same field, everything canonicalJson() refuses, so
 * LocalProvider and RuntimeProvider accept the same objects; structured clone on its own would drop
 * symbol keys and prototypes, and refuse a Proxy. The copy is plain, so the clone that carries it
 * to the worker cannot fail. It costs a walk and new containers, not the quoting of every string,
 * which is most of encoding a large object (their long strings are shared, not copied).
 */
export function plainCopy(object: RuntimeObject, maxObjectBytes = Number.POSITIVE_INFINITY): RuntimeObject {
  return new PlainCopier(maxObjectBytes).copy(object, 0) as RuntimeObject;
}

/**
 * It also counts a lower bound of the object's canonical JSON in bytes (each UTF-16 unit of a
 * string or key is at least one byte, plus quotes, colons, commas and brackets) and refuses the
 * object with ObjectTooLargeError once that passes `maxObjectBytes`, as encoding would. Else an
 * object far over the limit crossed to the worker whole to be refused there: a 100 MiB one took a
 * worker with 64 MiB of heap down (oom), and the calls batched with it.
 */
class PlainCopier {
  /** As CanonicalWriter's: the containers enclosing the current one, and the keys leading to it. */
  private readonly ancestors: object[] = [];
  private readonly path: (string | number)[] = [];
  private minBytes = 0;

  constructor(private readonly maxObjectBytes: number) {}

  private count(bytes: number): void {
    this.minBytes += bytes;
    if (this.minBytes > this.maxObjectBytes) {
      throw new ObjectTooLargeError(
        `the serialized object is at least ${this.minBytes} bytes, over the limit of ${this.maxObjectBytes} bytes`,
        { field: '', bytes: this.minBytes, limit: this.maxObjectBytes },
      );
    }
  }

  /** A container's brackets, and a comma between each two entries (a key adds its own below). */
  private countBrackets(entries: number): void {
    this.count(2 + Math.max(0, entries - 1));
  }

  copy(node: unknown, depth: number): unknown {
    switch (typeof node) {
      case 'string':
        this.count(node.length + 2);
        return node;
      case 'boolean':
        this.count(4);
        return node;
      case 'number': {
        const why = unwritableNumber(node);
        if (why) throw invalidAt(this.path.slice(0, depth), why);
        this.count(1);
        return node;
      }
      case 'object':
        if (node !== null) return this.copyContainer(node, depth);
        this.count(4);
        return null;
      default:
        throw invalidAt(this.path.slice(0, depth), unwritableType(node));
    }
  }

  private copyContainer(node: object, depth: number): unknown {
    const entered = enterContainer(this.ancestors, node, depth);
    if (entered) throw invalidAt(this.path.slice(0, depth), entered);
    const child = depth + 1;
    if (Array.isArray(node)) {
      this.countBrackets(node.length);
      const copy = new Array<unknown>(node.length);
      for (let i = 0; i < node.length; i++) {
        this.path[depth] = i;
        if (!(i in node)) throw invalidAt(this.path.slice(0, child), SPARSE);
        copy[i] = this.copy(node[i], child);
      }
      return copy;
    }
    const why = unwritableObject(node);
    if (why) throw invalidAt(this.path.slice(0, depth), why);
    const copy: Record<string, unknown> = {};
    const keys = Object.keys(node);
    this.countBrackets(keys.length);
    for (const key of keys) {
      this.path[depth] = key;
      this.count(key.length + 3);
      const value = this.copy((node as Record<string, unknown>)[key], child);
      // An own `__proto__` key is data in JSON; assigned, it would set the copy's prototype.
      if (key === '__proto__')
        Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      else copy[key] = value;
    }
    return copy;
  }
}
