import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RuntimeObject } from '../../src/contract/types.js';
import { parseManifests } from '../../src/objects/manifests.js';

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

/** Every object in the kube-prometheus fixtures, multi-document files and List kinds expanded. */
export function loadFixtureObjects(): FixtureObject[] {
  return fixtureFiles().flatMap((path) =>
    parseManifests(readFileSync(path, 'utf8'), path).map((object) => ({
      file: relative(FIXTURE_DIR, path),
      object,
    })),
  );
}
