import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * docs/benchmarks.md is shared: each benchmark owns the text between its
 * `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` markers and rewrites it itself; the
 * head (machine, versions, reproduction, goals) sits between the `head` markers and is written by
 * bench/main.ts. Helpers here only ever touch the head, or add a section that is missing.
 */

export const DOC_PATH = new URL('../docs/benchmarks.md', import.meta.url).pathname;

/** What a benchmark's run() resolves when it wrote no section (a look with fewer rounds): not recorded. */
export const QUICK_LOOK = 'quick-look';

const start = (name: string) => `<!-- bench:${name}:start -->`;
const end = (name: string) => `<!-- bench:${name}:end -->`;

export function readDoc(path = DOC_PATH): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
}

/** The text inside a section's markers, or undefined when the section is absent. */
export function section(doc: string, name: string): string | undefined {
  const from = doc.indexOf(start(name));
  const to = doc.indexOf(end(name));
  if (from === -1 || to < from) return undefined;
  return doc.slice(from + start(name).length, to).trim();
}

/**
 * Replaces the head (creating it at the top when absent). Whatever preceded the first section
 * before the head existed, such as a bare `# Benchmarks` title, is replaced by the head.
 */
export function withHead(doc: string, head: string): string {
  const block = `${start('head')}\n${head.trim()}\n${end('head')}`;
  const existing = section(doc, 'head');
  if (existing !== undefined) {
    return (
      doc.slice(0, doc.indexOf(start('head'))) +
      block +
      doc.slice(doc.indexOf(end('head')) + end('head').length)
    );
  }
  const firstSection = doc.search(/<!-- bench:[a-z0-9-]+:start -->/);
  const rest = firstSection === -1 ? '' : doc.slice(firstSection);
  return `${block}\n\n${rest}`.trimEnd().concat('\n');
}

/** Appends an empty-but-explained section for a benchmark that has never written one. */
export function withPlaceholder(doc: string, name: string, text: string): string {
  if (section(doc, name) !== undefined) return doc;
  return `${doc.trimEnd()}\n\n${start(name)}\n${text.trim()}\n${end(name)}\n`;
}

/** The machine-readable record of earlier runs, kept in a comment inside the head. */
export function readRecord<T>(doc: string, fallback: T): T {
  const match = /<!-- bench:record (.*?) -->/s.exec(section(doc, 'head') ?? '');
  if (!match) return fallback;
  try {
    return JSON.parse(match[1]!) as T;
  } catch {
    return fallback;
  }
}

export const recordComment = (record: unknown) => `<!-- bench:record ${JSON.stringify(record)} -->`;

export function writeDoc(doc: string, path = DOC_PATH): void {
  writeFileSync(path, doc);
}

/** Replaces one benchmark's section (appending it when absent) and writes the doc. */
export function writeSection(name: string, body: string, path = DOC_PATH): void {
  const doc = readDoc(path);
  const block = `${start(name)}\n${body.trim()}\n${end(name)}`;
  const from = doc.indexOf(start(name));
  const to = doc.indexOf(end(name));
  const next =
    from !== -1 && to > from
      ? doc.slice(0, from) + block + doc.slice(to + end(name).length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeDoc(next, path);
}

/**
 * The rows of the first markdown table after `heading` (a regex on any line), each row split into
 * trimmed cells with bold markers removed. Used to lift measured values out of a section.
 */
export function tableAfter(text: string, heading: RegExp): string[][] {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => heading.test(line));
  if (at === -1) return [];
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(at)) {
    if (line.startsWith('|')) {
      inTable = true;
      if (/^\|[\s:|-]+\|$/.test(line)) continue;
      rows.push(
        line
          .slice(1, -1)
          .split('|')
          .map((cell) => cell.replaceAll('**', '').trim()),
      );
    } else if (inTable) break;
  }
  return rows;
}
