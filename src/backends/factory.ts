import { resolve } from 'node:path';
import { instanceName } from '../config/instance-name.js';
import type { LogSync } from './file/layout.js';
import { type S3BackendConfig, s3InstanceName } from './s3/config.js';

/**
 * Plain-data description of one backend instance. It crosses to worker threads as-is, so it holds
 * no functions or handles; the backend is built from it where its state will live.
 */
export type BackendConfig =
  | { readonly kind: 'memory'; readonly name: string }
  | ({ readonly kind: 's3' } & S3BackendConfig)
  | {
      readonly kind: 'file';
      readonly dir: string;
      /** See FileBackendOptions. */
      readonly compactMinBytes?: number;
      readonly compactGarbageRatio?: number;
      readonly logSync?: LogSync;
    };

/** The instance name for a configuration: `<kind>-<hash of its identifying fields>`. */
export function backendInstanceName(config: BackendConfig): string {
  switch (config.kind) {
    case 'memory':
      return instanceName('memory', config.name);
    case 's3':
      return s3InstanceName(config);
    case 'file':
      return instanceName('file', resolvedPath(config.dir));
  }
}

/** Resolved absolute paths make two spellings of one directory the same instance. */
export function resolvedPath(path: string): string {
  return resolve(path);
}
