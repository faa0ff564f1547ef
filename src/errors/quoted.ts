/** How much of a value an error message quotes. */
const QUOTED_CHARACTERS = 100;

/**
 * A caller's value as an error message quotes it: a string as JSON, cut after 100 characters with
 * its length said; anything else by its type. A message (and the HTTP answer that carries it) must
 * not grow with the input: a 4 MB `kind` was quoted back whole in a 400.
 */
export function quoted(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : `(${typeNamed(value)})`;
  if (value.length <= QUOTED_CHARACTERS) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTED_CHARACTERS))}… (${value.length} characters)`;
}

/** A value's type as a message names it: "an object", "an array", "a number", "undefined", "null". */
export function typeNamed(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
