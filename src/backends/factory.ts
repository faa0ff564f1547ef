import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { instanceName } from '../config/instance-name.js';
import type { LogSync } from './file/layout.js';
import { type S3BackendConfig, s3InstanceName, s3StorageIdentity } from './s3/config.js';

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
      readonly create?: boolean;
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

/**
 * What two configurations that reach the same storage share, however they spell it: a file
 * instance's directory with symbolic links resolved as far as it exists, an S3 endpoint as a URL
 * parses it. Instance names keep hashing the spelling (backendInstanceName), so that names stay
 * as they were; a configuration compares this to refuse one storage configured twice.
 */
export function storageIdentity(config: BackendConfig): string {
  switch (config.kind) {
    case 'file':
      return JSON.stringify(['file', ...existingAncestor(resolvedPath(config.dir))]);
    case 's3':
      return s3StorageIdentity(config);
    default:
      return backendInstanceName(config);
  }
}

/**
 * The device and inode of `path`'s longest existing ancestor (symbolic links followed), and the
 * rest of the path below it. Unlike the real path, this sees through a bind mount too, which shows
 * one directory at two paths that are both real.
 */
function existingAncestor(path: string): [device: string, rest: string] {
  try {
    const { dev, ino } = statSync(path);
    return [`${dev}:${ino}`, ''];
  } catch {
    const parent = dirname(path);
    if (parent === path) return [path, ''];
    const [device, rest] = existingAncestor(parent);
    return [device, join(rest, basename(path))];
  }
}
