import { pathToFileURL } from 'node:url';
import type { Backend } from '../../backends/backend.js';
import { createBackend } from '../../backends/create-backend.js';
import { InvalidRuntimeConfigError } from '../../errors/index.js';
import type { InstanceConfig } from '../protocol.js';

interface BackendModule {
  createBackend(options: unknown): Backend | Promise<Backend>;
}

/**
 * Builds the backend inside the worker, where its state will live. Factory kinds come from
 * src/backends/create-backend.ts; `module` kinds are imported from the configured path (the main thread
 * admits them only when `allowModuleBackends` is set).
 */
export async function loadBackend(config: InstanceConfig): Promise<Backend> {
  if (config.kind !== 'module') return createBackend(config);
  const url = config.module.startsWith('file:') ? config.module : pathToFileURL(config.module).href;
  const loaded = (await import(url)) as Partial<BackendModule>;
  if (typeof loaded.createBackend !== 'function') {
    throw new InvalidRuntimeConfigError(`backend module ${config.module} does not export createBackend()`, {
      field: 'module',
    });
  }
  return loaded.createBackend(config.options);
}
