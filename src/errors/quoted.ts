/** How much of a value an error message quotes. */
const QUOTED_CHARACTERS = 100;

/**
 * A caller's value as an error message quotes it: a string as JSON, cut after 100 characters with
 * its length said; anything else by its type. A message (and the HTTP answer that carries it) must
 * not grow with the input: a 4 MB `kind` was quoted back whole in a 400.
 */
export function quoted(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : `(a ${typeof value})`;
  if (value.length <= QUOTED_CHARACTERS) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTED_CHARACTERS))}… (${value.length} characters)`;
}
