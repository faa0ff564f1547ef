import { ConfigError } from '../errors/config-errors.js';

/**
 * Environment variables override the configuration file. `STOWAGE__server__port=9465` sets
 * `server.port`; path segments are separated by a double underscore and array items are numbered
 * (`STOWAGE__instances__0__dir`). Values are parsed as JSON when they parse (numbers, booleans,
 * objects), and taken as strings otherwise, or where the field is a string (see loadConfig).
 */
export const ENV_PREFIX = 'STOWAGE__';

export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
  /** The variable's text, which loadConfig keeps where the field wants a string. */
  readonly raw: string;
}

export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  return Object.entries(env)
    .filter(([name, value]) => name.startsWith(ENV_PREFIX) && value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([variable, raw]) => ({
      variable,
      path: variable.slice(ENV_PREFIX.length).split('__'),
      value: parseValue(raw as string),
      raw: raw as string,
    }));
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** Writes each override into a plain-data config tree, creating objects/arrays along the way. */
export function applyOverrides(tree: Record<string, unknown>, overrides: readonly EnvOverride[]): void {
  for (const { variable, path, value } of overrides) {
    if (path.some((segment) => segment === '' || FORBIDDEN.has(segment))) {
      throw new ConfigError(`environment variable ${variable} has an invalid path`, {
        field: path.join('.'),
      });
    }
    let node: Record<string, unknown> = tree;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i] as string;
      checkIndex(node, path.slice(0, i + 1), variable);
      const next = node[segment];
      if (next === null || typeof next !== 'object') {
        node[segment] = /^\d+$/.test(path[i + 1] as string) ? [] : {};
      }
      node = node[segment] as Record<string, unknown>;
    }
    checkIndex(node, path, variable);
    node[path[path.length - 1] as string] = value;
  }
}

/**
 * In a list only item numbers are fields: any other segment (`x`, `01`, `kind`) would be set as a
 * property of the array, which the schema never reads, and the variable would do nothing. An
 * item past the end would leave a hole in the list that no variable or line explains.
 */
function checkIndex(node: Record<string, unknown>, at: readonly string[], variable: string): void {
  if (!Array.isArray(node)) return;
  const segment = at.at(-1) as string;
  const field = at.join('.');
  if (!/^(0|[1-9]\d*)$/.test(segment)) {
    throw new ConfigError(
      `environment variable ${variable} names ${JSON.stringify(segment)} where a list wants an item number (0, 1, …)`,
      { field },
    );
  }
  if (Number(segment) > node.length) {
    throw new ConfigError(
      `environment variable ${variable} sets item ${segment} of a list of ${node.length}: items are numbered from 0 without gaps, so the next is ${node.length}`,
      { field },
    );
  }
}
