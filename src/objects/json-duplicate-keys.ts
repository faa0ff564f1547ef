/**
 * The first key that appears twice in one object of `json`, which must be valid JSON (JSON.parse
 * accepted it), or undefined. JSON.parse keeps the last of duplicate keys without a word; a
 * manifest line that says two things about one field is refused instead, as YAML refuses it.
 * One pass over the text; only keys with escapes are decoded, so `"a"` and `"\u0061"` are one key.
 */
export function duplicateKey(json: string): string | undefined {
  /** One entry per open container: the keys seen in an object, null for an array. */
  const open: (Set<string> | null)[] = [];
  let expectingKey = false;
  for (let i = 0; i < json.length; i++) {
    switch (json.charCodeAt(i)) {
      case 0x22: {
        // A string: find its closing quote, stepping over escapes.
        let end = i + 1;
        let escaped = false;
        for (;;) {
          const code = json.charCodeAt(end);
          if (code === 0x22) break;
          if (code === 0x5c) {
            escaped = true;
            end += 2;
          } else {
            end++;
          }
        }
        if (expectingKey) {
          const raw = json.slice(i, end + 1);
          const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
          const keys = open.at(-1) as Set<string>;
          if (keys.has(key)) return key;
          keys.add(key);
          expectingKey = false;
        }
        i = end;
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
