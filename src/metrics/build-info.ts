import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gauge, type Registry } from 'prom-client';
import { METRICS } from './definitions.js';

/**
 * stowage_build_info{version, node_version} 1: joins onto other series with
 * `* on() group_left(version) stowage_build_info` to show which release produced them.
 */
export function registerBuildInfo(registry: Registry): void {
  const gauge = new Gauge({
    name: METRICS.buildInfo,
    help: 'Always 1; the labels say which stowage release and Node.js version are running.',
    labelNames: ['version', 'node_version'] as const,
    registers: [registry],
  });
  gauge.set({ version: stowageVersion(), node_version: process.versions.node }, 1);
}

let cachedVersion: string | undefined;

/**
 * The version in stowage's own package.json. It is found by walking up from this module, because
 * the module sits at a different depth in src/ (run through tsx) and in dist/src/ (built).
 */
export function stowageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === 'stowage' && typeof manifest.version === 'string') {
      cachedVersion = manifest.version;
      return cachedVersion;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      cachedVersion = 'unknown';
      return cachedVersion;
    }
    dir = parent;
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
