import { type Document, isScalar, visit } from 'yaml';

/**
 * Integers a JavaScript number cannot hold exactly. JSON and YAML allow any number of digits, and
 * Kubernetes fields are int64, but parsing makes every number a double: `12345678901234567890` was
 * stored as 12345678901234567000 without a word. Inputs read as text (`put -f`, HTTP bodies) are
 * checked here and such a literal refused; a program that calls the library holds numbers already.
 */

export interface InexactInteger {
  /** The integer as the input wrote it. */
  readonly literal: string;
  /** What parsing made of it. */
  readonly value: number;
}

/** Why an inexact integer is refused, for an error message. */
export function inexactIntegerProblem({ literal, value }: InexactInteger): string {
  return `the integer ${literal} cannot be held exactly by a JavaScript number (it would be stored as ${value}); write it as a string`;
}

/** Whether `value`, parsed from the integer `literal` (decimal, 0o or 0x, signed), is that integer. */
function isExact(literal: string, value: number): boolean {
  if (Number.isSafeInteger(value)) return true;
  if (!Number.isInteger(value)) return false;
  const digits = literal.replace(/^[-+]/, '');
  const magnitude = BigInt(digits);
  return (literal.startsWith('-') ? -magnitude : magnitude) === BigInt(value);
}

/** Sixteen digits in a row: the least an unsafe integer takes, and rare otherwise. */
const LONG_DIGITS = /\d{16}/;
const DECIMAL_INTEGER = /^-?\d+$/;
/** YAML 1.2's core schema integers. */
const YAML_INTEGER = /^[-+]?(?:\d+|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/**
 * The first integer literal in `json` (valid JSON) that JSON.parse would round, with its parsed
 * value; undefined when there is none. JSON.parse hands a reviver each value's source text, which
 * is slow, so it runs only when the text holds a run of 16 digits.
 */
export function inexactIntegerInJson(json: string): InexactInteger | undefined {
  if (!LONG_DIGITS.test(json)) return undefined;
  let found: InexactInteger | undefined;
  JSON.parse(json, (_key, value: unknown, context?: { source?: string }) => {
    const literal = context?.source;
    if (
      found === undefined &&
      typeof value === 'number' &&
      literal !== undefined &&
      DECIMAL_INTEGER.test(literal) &&
      !isExact(literal, value)
    ) {
      found = { literal, value };
    }
    return value;
  });
  return found;
}

/** As inexactIntegerInJson, for a parsed YAML document: decimal, octal (0o) and hex (0x) integers. */
export function inexactIntegerInYaml(document: Document): InexactInteger | undefined {
  let found: InexactInteger | undefined;
  visit(document, {
    Scalar(_key, node) {
      const literal = node.source;
      if (
        isScalar(node) &&
        typeof node.value === 'number' &&
        typeof literal === 'string' &&
        YAML_INTEGER.test(literal) &&
        !isExact(literal, node.value)
      ) {
        found = { literal, value: node.value };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
