import { type Document, visit } from 'yaml';

/**
 * Integers a JavaScript number cannot hold. JSON and YAML allow any number of digits, and
 * Kubernetes fields are int64, but parsing makes every number a double: `12345678901234567890` was
 * stored as 12345678901234567000 without a word. Inputs read as text (`put -f`, HTTP bodies) are
 * checked here and such a literal refused; a program that calls the library holds numbers already.
 *
 * A literal passes when the number it parses to is that integer, or prints as it: stowage writes
 * 2^60 as `1152921504606847000` (the shortest digits that parse back to it), and its own dumps and
 * `get -o json` must go back in.
 */

export interface InexactInteger {
  /** The integer as the input wrote it. */
  readonly literal: string;
  /** What parsing made of it. */
  readonly value: number;
}

/** Why an inexact integer is refused, for an error message. */
export function inexactIntegerProblem({ literal, value }: InexactInteger): string {
  return `the integer ${literal} cannot be held by a JavaScript number (it would be stored as ${value}); write it as a string`;
}

/** Whether `value`, parsed from the integer `literal` (decimal, 0o or 0x, signed), stands for it. */
function holds(literal: string, value: number): boolean {
  if (Number.isSafeInteger(value)) return true;
  if (!Number.isInteger(value)) return false;
  const unsigned = literal.replace(/^[-+]/, '');
  if (
    /^\d+$/.test(unsigned) &&
    String(value) === `${literal.startsWith('-') ? '-' : ''}${unsigned.replace(/^0+(?=\d)/, '')}`
  )
    return true;
  const magnitude = BigInt(unsigned);
  return (literal.startsWith('-') ? -magnitude : magnitude) === BigInt(value);
}

/**
 * A number value of 16 digits or more: a JSON number follows `:`, `[` or `,` (and white space).
 * The reviver below is slow (three times JSON.parse on a large body), so it runs only then; a long
 * digit run inside a string (a nanosecond timestamp) rarely follows one of those.
 */
const LONG_NUMBER = /[:[,]\s*-?\d{16}/;
const DECIMAL_INTEGER = /^-?\d+$/;
/** YAML 1.2's core schema integers. */
const YAML_INTEGER = /^[-+]?(?:\d+|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/**
 * The first integer literal in `json` (valid JSON) that JSON.parse would change, with its parsed
 * value; undefined when there is none. JSON.parse hands a reviver each value's source text.
 */
export function inexactIntegerInJson(json: string): InexactInteger | undefined {
  if (!LONG_NUMBER.test(json)) return undefined;
  let found: InexactInteger | undefined;
  JSON.parse(json, (_key, value: unknown, context?: { source?: string }) => {
    const literal = context?.source;
    if (
      found === undefined &&
      typeof value === 'number' &&
      literal !== undefined &&
      DECIMAL_INTEGER.test(literal) &&
      !holds(literal, value)
    ) {
      found = { literal, value };
    }
    return value;
  });
  return found;
}

/**
 * As inexactIntegerInJson, for a parsed YAML 1.2 document: decimal, octal (0o) and hex (0x)
 * integers. A `%YAML 1.1` document is not checked: its integers (octal `017`, `0b`, `1_000`,
 * sexagesimal `1:30`) are spelled otherwise, and manifests are YAML 1.2.
 */
export function inexactIntegerInYaml(document: Document): InexactInteger | undefined {
  if (document.directives?.yaml.version === '1.1') return undefined;
  let found: InexactInteger | undefined;
  visit(document, {
    Scalar(_key, node) {
      const literal = node.source;
      if (
        typeof node.value === 'number' &&
        typeof literal === 'string' &&
        YAML_INTEGER.test(literal) &&
        !holds(literal, node.value)
      ) {
        found = { literal, value: node.value };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
