import { StowageError } from './base.js';

/**
 * The configuration is invalid. `details.field` is the dotted path of the bad field, and
 * `details.line` its line in the file when it came from one.
 */
export class ConfigError extends StowageError {
  static override readonly code = 'STOWAGE_CONFIG_INVALID';
}
