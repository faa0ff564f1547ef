import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { FileBackend, gvk, MachineId, type ObjectKey } from '../src/index.js';
import { sizedObject } from './file-load.js';

const CHILD = new URL('./file-init-child.ts', import.meta.url).pathname;

export interface InitSample {
  /** Cold open of the file instance: read, verify, index. */
  readonly openMs: number;
  /** Resident memory gained, right after the open and once its garbage is collected. */
  readonly rssPeak: number;
  readonly rssGained: number;
  /** readFile + JSON.parse of the same values as one JSON array. */
  readonly readMs: number;
  readonly parseMs: number;
}

/**
 * Writes `count` 2 KiB objects into a file instance in `dir`, and the same value bytes as one JSON
 * array into `jsonPath`. Returns the bytes of value data.
 */
export async function prepareInit(dir: string, jsonPath: string, count: number): Promise<number> {
  const backend = new FileBackend(dir);
  await backend.open(MachineId.generate());
  const json = createWriteStream(jsonPath);
  json.write('[');
  const kind = gvk('', 'v1', 'ConfigMap');
  let dataBytes = 0;
  for (let start = 0; start < count; start += 256) {
    const puts: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + 256); i++) {
      const bytes = Buffer.from(JSON.stringify(sizedObject(`init-${i}`)));
      dataBytes += bytes.length;
      if (!json.write(i === 0 ? bytes : Buffer.concat([Buffer.from(','), bytes]))) await once(json, 'drain');
      puts.push(backend.put(kind, `bench/init-${i}` as ObjectKey, bytes));
    }
    await Promise.all(puts);
  }
  json.end(']');
  await once(json, 'finish');
  await backend.close();
  return dataBytes;
}

/** One sample of each contender, each in a fresh process (page cache warm for both). */
export function measureInit(dir: string, jsonPath: string): InitSample {
  const child = (mode: string, path: string) =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, mode, path], {
        encoding: 'utf8',
      }),
    );
  const file = child('file', dir) as { openMs: number; rssPeak: number; rssGained: number };
  const json = child('json', jsonPath) as { readMs: number; parseMs: number };
  return { ...file, ...json };
}
