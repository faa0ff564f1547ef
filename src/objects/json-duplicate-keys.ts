import { readString, stringEnd } from './parse-json.js';

/**
 * The first key that appears twice in one object of `json`, which must be valid JSON (JSON.parse
 * accepted it), or undefined. JSON.parse keeps the last of duplicate keys without a word; a
 * manifest line that says two things about one field is refused instead, as YAML refuses it.
 * One pass over the text; keys are decoded, so `"a"` and `"\u0061"` are one key.
 */
export function duplicateKey(json: string): string | undefined {
  /** One entry per open container: the keys seen in an object, null for an array. */
  const open: (Set<string> | null)[] = [];
  let expectingKey = false;
  for (let i = 0; i < json.length; i++) {
    switch (json.charCodeAt(i)) {
      case 0x22: {
        if (!expectingKey) {
          i = stringEnd(json, i);
          break;
        }
        const { value: key, next } = readString(json, i);
        const keys = open.at(-1) as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
        i = next - 1;
        break;
      }
      case 0x7b: // {
        open.push(new Set());
        expectingKey = true;
        break;
      case 0x5b: // [
        open.push(null);
        break;
      case 0x7d: // }
      case 0x5d: // ]
        open.pop();
        expectingKey = false;
        break;
      case 0x2c: // ,
        expectingKey = open.at(-1) instanceof Set;
        break;
    }
  }
  return undefined;
}
