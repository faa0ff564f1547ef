import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RuntimeObject } from '../../src/index.js';

export const FIXTURE_DIR = new URL('../fixtures/kube-prometheus/', import.meta.url).pathname;

export interface FixtureObject {
  readonly file: string;
  readonly object: RuntimeObject;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? yamlFiles(join(dir, entry.name))
      : entry.name.endsWith('.yaml')
        ? [join(dir, entry.name)]
        : [],
  );
}

export function fixtureFiles(): string[] {
  return yamlFiles(FIXTURE_DIR).sort();
}

/** Objects in a parsed document: `*List` kinds expand into their items. */
export function expandList(document: unknown): RuntimeObject[] {
  if (document === null || document === undefined) return [];
  const value = document as RuntimeObject & { items?: RuntimeObject[] };
  if (value.kind.endsWith('List') && Array.isArray(value.items)) return value.items;
  return [value];
}

/** Every object in the kube-prometheus fixtures, multi-document files and List kinds expanded. */
export function loadFixtureObjects(): FixtureObject[] {
  return fixtureFiles().flatMap((path) =>
    parseAllDocuments(readFileSync(path, 'utf8')).flatMap((document) =>
      expandList(document.toJSON()).map((object) => ({ file: relative(FIXTURE_DIR, path), object })),
    ),
  );
}
