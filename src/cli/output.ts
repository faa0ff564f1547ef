import { stringify } from 'yaml';

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
 * JSON, or YAML whose strings read back as strings under YAML 1.1 too: kubectl and other YAML 1.1
 * readers take a plain `yes`, `on` or `no` for a boolean, so those are quoted (still valid 1.2).
 */
export function render(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value, { version: '1.1' }).trimEnd();
}

function printable(cell: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
  return cell.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
