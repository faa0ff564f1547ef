import { Document, parse, visit } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseFormat(value: string | undefined, fallback: OutputFormat): OutputFormat {
  const format = value ?? fallback;
  if (format !== 'table' && format !== 'json' && format !== 'yaml') {
    throw new UsageError(`--output must be table, json or yaml, not ${format}`);
  }
  return format;
}

/** Bad command-line usage: reported as one line, exit code 2. */
export class UsageError extends Error {}

/**
 * Left-aligned columns, two spaces apart, headers in capitals. Control characters in a cell are
 * shown escaped, so stored text cannot break a row or drive the terminal.
 */
export function table(headers: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((row) => row.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

/**
 * JSON, or YAML whose strings read back as strings under YAML 1.1 and 1.2 alike. Written as 1.1,
 * kubectl and other YAML 1.1 readers take a plain `yes`, `on` or `no` for a boolean, so those are
 * quoted (still valid 1.2); and a string that 1.2's core schema would read as something else
 * (`0o14`, an octal number there) is quoted too, since `put -f` reads 1.2: `get -o yaml` then
 * `put -f` stored the string `0o14` as the number 12.
 */
export function render(value: unknown, format: 'json' | 'yaml'): string {
  if (format === 'json') return JSON.stringify(value, null, 2);
  // Without 1.1's merge tag, which writes the string `<<` plain, as a merge key, however it is marked.
  const document = new Document(value, {
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag !== 'object' || tag.tag !== MERGE_TAG),
  });
  visit(document, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && !node.type && readsAsOtherThan(node.value))
        node.type = 'QUOTE_DOUBLE';
    },
  });
  return document.toString().trimEnd();
}

const MERGE_TAG = 'tag:yaml.org,2002:merge';

/**
 * Whether a YAML reader takes `text`, written plain, for anything but that string: YAML 1.2's core
 * schema, or YAML 1.1's merge key `<<` and value key `=` (PyYAML refuses a plain `=` outright,
 * "could not determine a constructor"). The 1.1 document's own schema quotes the rest of 1.1's
 * (`yes`, `on`, `0777`, `1_000`, `12:30`).
 */
function readsAsOtherThan(text: string): boolean {
  if (text === '<<' || text === '=') return true;
  // What a plain scalar that means something else looks like: a short token, no spaces.
  if (text.length > 64 || /\s/.test(text)) return false;
  try {
    return parse(text) !== text;
  } catch {
    return true;
  }
}

function printable(cell: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
  return cell.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
