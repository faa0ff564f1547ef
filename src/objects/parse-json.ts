/**
 * `JSON.parse` for object texts, correct on the V8 releases whose JSON.parse can decode an object
 * key written with an escape (`"\n"`, `"\""`, `"\u0000"`) as a different key (a backslash) once
 * the thread has parsed a key of one backslash (`"\\"`) at the same place: V8 13.6 and 14.6, so
 * Node 24 and 26, the runtime stowage is tested on (nodejs/node#63785, chromium 521080746; open on
 * 2026-11-30). It threw nothing: a key was silently renamed on every read of a stored object, in
 * `put -f` and in HTTP bodies.
 *
 * Only keys are hit: string values and keys written without an escape come back right. So a text
 * with no escaped key (nearly every object) goes through JSON.parse as before; one with an escaped
 * key is checked by JSON.parse (its errors are the errors) and then built again by the small
 * parser below, which decodes every string itself.
 */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return hasEscapedKey(text) ? buildValue(text) : value;
}

/**
 * Whether valid JSON `text` has an object key with an escape in it. A backslash can only be in a
 * string, and a string is a key when a colon follows it, so only strings with a backslash are
 * walked, from their first backslash to their end.
 */
export function hasEscapedKey(text: string): boolean {
  let at = text.indexOf('\\');
  while (at !== -1) {
    const end = stringEnd(text, at);
    let next = end + 1;
    while (isWhitespace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COLON) return true;
    at = text.indexOf('\\', end + 1);
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** The index of the quote that closes the string `from` is in (at or after its opening quote). */
export function stringEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i += 2;
    else if (code === QUOTE && i !== from) return i;
    else i++;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** The string whose opening quote is at `start`, decoded, and the index after its closing quote. */
export function readString(text: string, start: number): { value: string; next: number } {
  let value = '';
  let run = start + 1;
  let i = run;
  for (;;) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) return { value: value + text.slice(run, i), next: i + 1 };
    if (code !== BACKSLASH) {
      i++;
      continue;
    }
    value += text.slice(run, i);
    const escaped = text[i + 1] as string;
    if (escaped === 'u') {
      value += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      value += ESCAPES[escaped] as string;
      i += 2;
    }
    run = i;
  }
}

/** An object or array being built, and the key its next member goes under. */
interface Open {
  readonly container: Record<string, unknown> | unknown[];
  key: string;
}

/**
 * Builds the value of `text`, which JSON.parse has accepted, so it is valid JSON and needs no
 * checks. Iterative, with its own stack, so nesting as deep as JSON.parse takes cannot overflow
 * the call stack. Members are set as JSON.parse sets them: a later duplicate key replaces the
 * value in the first one's place, and `__proto__` is an own property, not the prototype.
 */
function buildValue(text: string): unknown {
  const stack: Open[] = [];
  let root: unknown;
  let i = 0;
  const place = (value: unknown): void => {
    const top = stack.at(-1);
    if (!top) root = value;
    else if (Array.isArray(top.container)) top.container.push(value);
    else if (top.key === '__proto__') {
      Object.defineProperty(top.container, top.key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else top.container[top.key] = value;
  };
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (isWhitespace(code) || code === 0x2c /* , */ || code === COLON) {
      i++;
    } else if (code === QUOTE) {
      const { value, next } = readString(text, i);
      i = next;
      let after = i;
      while (isWhitespace(text.charCodeAt(after))) after++;
      const top = stack.at(-1);
      if (top && !Array.isArray(top.container) && text.charCodeAt(after) === COLON) top.key = value;
      else place(value);
    } else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      const container: Record<string, unknown> | unknown[] = code === 0x7b ? {} : [];
      place(container);
      stack.push({ container, key: '' });
      i++;
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (text.startsWith('true', i)) {
      place(true);
      i += 4;
    } else if (text.startsWith('false', i)) {
      place(false);
      i += 5;
    } else if (text.startsWith('null', i)) {
      place(null);
      i += 4;
    } else {
      let end = i + 1;
      while (end < text.length && /[\d.eE+-]/.test(text[end] as string)) end++;
      place(Number(text.slice(i, end)));
      i = end;
    }
  }
  return root;
}
