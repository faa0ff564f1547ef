import { InvalidRuntimeConfigError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';
import type { InstanceConfig } from './protocol.js';

/** The string fields each kind of instance is named and located by (s3: resolveS3Config checks its own). */
const REQUIRED_TEXT: Readonly<Record<InstanceConfig['kind'], readonly string[]>> = {
  memory: ['name'],
  file: ['dir'],
  s3: [],
  module: ['module', 'name'],
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
  for (const field of REQUIRED_TEXT[kind as InstanceConfig['kind']]) {
    const value = (config as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value === '') {
      throw new InvalidRuntimeConfigError(`a ${kind} instance needs ${field}, a non-empty string`, { field });
    }
  }
  return config as InstanceConfig;
}
