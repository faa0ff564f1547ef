/**
 * Where `JSON.parse` gave up, from its error, without the rest of its message: V8 quotes the text
 * around the fault ("Unexpected token 'p', \"password=h\"... is not valid JSON"), and what was being
 * parsed (a stored record, a request body, a line of a manifest) may hold a secret that must not
 * reach an error message, which the CLI prints and the HTTP API returns. Undefined when V8 names
 * no position: an empty text, or an unexpected token, whose message is the one that quotes.
 */
export function jsonFaultPosition(error: unknown): number | undefined {
  // Anchored at the end, where V8 puts the position: a message that quotes the text ends in "is
  // not valid JSON", and text reading "at position 123" must not be taken for one.
  const message = error instanceof Error ? error.message : '';
  const position = /JSON at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(message)?.[1];
  return position === undefined ? undefined : Number(position);
}
