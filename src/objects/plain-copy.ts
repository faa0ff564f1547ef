import type { RuntimeObject } from '../contract/types.js';
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
export function plainCopy(object: RuntimeObject): RuntimeObject {
  return new PlainCopier().copy(object, 0) as RuntimeObject;
}

class PlainCopier {
  /** As CanonicalWriter's: the containers enclosing the current one, and the keys leading to it. */
  private readonly ancestors: object[] = [];
  private readonly path: (string | number)[] = [];

  copy(node: unknown, depth: number): unknown {
    switch (typeof node) {
      case 'string':
      case 'boolean':
        return node;
      case 'number': {
        const why = unwritableNumber(node);
        if (why) throw invalidAt(this.path.slice(0, depth), why);
        return node;
      }
      case 'object':
        return node === null ? null : this.copyContainer(node, depth);
      default:
        throw invalidAt(this.path.slice(0, depth), unwritableType(node));
    }
  }

  private copyContainer(node: object, depth: number): unknown {
    const entered = enterContainer(this.ancestors, node, depth);
    if (entered) throw invalidAt(this.path.slice(0, depth), entered);
    const child = depth + 1;
    if (Array.isArray(node)) {
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
    for (const key of Object.keys(node)) {
      this.path[depth] = key;
      const value = this.copy((node as Record<string, unknown>)[key], child);
      // An own `__proto__` key is data in JSON; assigned, it would set the copy's prototype.
      if (key === '__proto__')
        Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      else copy[key] = value;
    }
    return copy;
  }
}
