import { type FileBackendOptions, resolveOptions as resolveFileOptions } from '../backends/file/options.js';
import { InvalidRuntimeConfigError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';
import { names } from './options.js';
import type { InstanceConfig, ModuleBackendConfig } from './protocol.js';

/** The string fields each kind of instance is named and located by (s3: resolveS3Config checks its own). */
const REQUIRED_TEXT: Readonly<Record<InstanceConfig['kind'], readonly string[]>> = {
  memory: ['name'],
  file: ['dir'],
  s3: [],
  module: ['module', 'name'],
};

/**
 * The fields each kind of instance takes (s3: resolveS3Config refuses unknown ones itself). A field
 * of another name is a typo, or an option of the backend's class that a configuration cannot set
 * (FileBackendOptions.maxObjectsPerKind): ignored before, without a word.
 */
const KNOWN_FIELDS: Readonly<Record<'memory' | 'file' | 'module', readonly string[]>> = {
  memory: names<Extract<InstanceConfig, { kind: 'memory' }>>({ kind: true, name: true }),
  file: names<Extract<InstanceConfig, { kind: 'file' }>>({
    kind: true,
    dir: true,
    compactMinBytes: true,
    compactGarbageRatio: true,
    logSync: true,
    create: true,
  }),
  module: names<ModuleBackendConfig>({ kind: true, module: true, name: true, options: true }),
};

/**
 * Checks the fields that name and locate an instance before anything is started. A configuration
 * file goes through a schema (src/config/schema.ts), but one built in code does not: an unknown
 * kind was named `undefined`, and a missing directory failed only in the worker, as an error of
 * Node's.
 */
export function checkInstanceConfig(config: unknown): InstanceConfig {
  if (typeof config !== 'object' || config === null) {
    throw new InvalidRuntimeConfigError('an instance configuration must be an object', {
      field: 'instances',
    });
  }
  const { kind } = config as { kind?: unknown };
  if (typeof kind !== 'string' || !Object.hasOwn(REQUIRED_TEXT, kind)) {
    throw new InvalidRuntimeConfigError(
      `instance kind ${quoted(kind)} is none of ${Object.keys(REQUIRED_TEXT).join(', ')}`,
      { field: 'kind' },
    );
  }
  if (kind !== 's3') {
    const unknown = Object.keys(config).find(
      (field) => !KNOWN_FIELDS[kind as keyof typeof KNOWN_FIELDS].includes(field),
    );
    if (unknown !== undefined) {
      throw new InvalidRuntimeConfigError(`a ${kind} instance has no field ${quoted(unknown)}`, {
        field: unknown.slice(0, 100),
      });
    }
  }
  for (const field of REQUIRED_TEXT[kind as InstanceConfig['kind']]) {
    const value = (config as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value === '') {
      throw new InvalidRuntimeConfigError(`a ${kind} instance needs ${field}, a non-empty string`, { field });
    }
  }
  // The file options here, as FileBackend checks them, rather than in the worker after it started:
  // a bad logSync failed as InitializeFailedError, retried with backoff.
  if (kind === 'file') {
    const { compactMinBytes, compactGarbageRatio, logSync, create } = config as FileBackendOptions;
    resolveFileOptions({ compactMinBytes, compactGarbageRatio, logSync, create });
  }
  return config as InstanceConfig;
}
