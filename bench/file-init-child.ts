// Measures one cold start in a fresh process, so neither contender inherits the other's heap:
//   node --expose-gc --import tsx bench/file-init-child.ts file <dir>
//   node --expose-gc --import tsx bench/file-init-child.ts json <file>
// Prints one JSON line: milliseconds, and resident memory gained right after the open (peak) and
// once garbage is collected (steady), in bytes.
import { readFile } from 'node:fs/promises';
import { FileBackend, MachineId } from '../src/index.js';
import { collect, collectFully } from './collect.js';

const [mode, path] = process.argv.slice(2) as [string, string];
collect();
const rssBefore = process.memoryUsage.rss();
if (mode === 'file') {
  const backend = new FileBackend(path);
  const t0 = performance.now();
  await backend.open(MachineId.generate());
  const openMs = performance.now() - t0;
  const rssPeak = process.memoryUsage.rss() - rssBefore;
  // The read chunks are garbage now, but V8 frees large backing stores lazily: let it.
  await collectFully();
  const rssGained = process.memoryUsage.rss() - rssBefore;
  const { records, liveBytes } = backend.stats();
  await backend.close();
  process.stdout.write(`${JSON.stringify({ openMs, rssPeak, rssGained, records, liveBytes })}\n`);
} else {
  const t0 = performance.now();
  const text = await readFile(path, 'utf8');
  const t1 = performance.now();
  const parsed = JSON.parse(text) as unknown[];
  const t2 = performance.now();
  process.stdout.write(`${JSON.stringify({ readMs: t1 - t0, parseMs: t2 - t1, records: parsed.length })}\n`);
}
