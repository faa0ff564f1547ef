import { resolve } from 'node:path';
import { instanceName } from '../config/instance-name.js';
import type { Backend } from './backend.js';
import { MemoryBackend } from './memory.js';

/**
 * Plain-data description of one backend instance. It crosses to worker threads as-is, so it holds
 * no functions or handles; the backend is built from it where its state will live.
 */
export type BackendConfig = { readonly kind: 'memory'; readonly name: string };

/** The instance name for a configuration: `<kind>-<hash of its identifying fields>`. */
export function backendInstanceName(config: BackendConfig): string {
  switch (config.kind) {
    case 'memory':
      return instanceName('memory', config.name);
  }
}

export function createBackend(config: BackendConfig): Backend {
  switch (config.kind) {
    case 'memory':
      return new MemoryBackend();
  }
}

/** Resolved absolute paths make two spellings of one directory the same instance. */
export function resolvedPath(path: string): string {
  return resolve(path);
}
