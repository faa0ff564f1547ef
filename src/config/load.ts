import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/config-errors.js';
import { applyOverrides, envOverrides } from './env-overrides.js';
import { configSchema, DEFAULT_INSTANCES, type StowageConfig } from './schema.js';

export interface LoadConfigOptions {
  /** A YAML or JSON file; when absent, only defaults and the environment apply. */
  readonly path?: string;
  readonly env?: NodeJS.ProcessEnv;
}

interface Source {
  readonly tree: Record<string, unknown>;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

function readSource(path: string | undefined): Source {
  if (path === undefined) return { tree: {}, lineOf: () => undefined };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(error as Error).message}`, {
      field: '',
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw new ConfigError(`${path}:${line}: ${syntax.message.split('\n')[0]}`, { field: '', line });
  }
  const value = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${path}:1: the configuration must be a mapping`, { field: '', line: 1 });
  }
  return {
    tree: value,
    lineOf(fieldPath) {
      // The deepest node that exists: a missing field points at its parent mapping.
      for (let depth = fieldPath.length; depth >= 0; depth--) {
        const node = doc.getIn(fieldPath.slice(0, depth) as unknown[], true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return issue.message;
}

/**
 * Reads, overrides from the environment, and validates the configuration. The first problem found
 * becomes one ConfigError naming the field and, for a file, its line.
 */
export function loadConfig(options: LoadConfigOptions = {}): StowageConfig {
  const source = readSource(options.path);
  const overrides = envOverrides(options.env ?? process.env);
  // Overrides of `instances.N.…` with no instances configured apply to the embedded default, as
  // STOWAGE__instances__0__dir=/var/lib/stowage means; without it they would build an instance
  // from nothing.
  if (source.tree.instances === undefined && overrides.some((o) => o.path[0] === 'instances')) {
    source.tree.instances = DEFAULT_INSTANCES.map((instance) => ({ ...instance }));
  }
  try {
    applyOverrides(source.tree, overrides);
  } catch (error) {
    throw new ConfigError((error as Error).message, { field: '' });
  }
  const parsed = configSchema.safeParse(source.tree);
  if (parsed.success) return parsed.data;
  // A misspelled field also makes the real one "missing": report the unknown field, which explains both.
  const issues = parsed.error.issues;
  const issue = (issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]) as z.core.$ZodIssue;
  const fieldPath =
    issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : issue.path;
  const field = fieldPath.map(String).join('.');
  const fromEnv = overrides.find(
    (o) => o.path.join('.') === field || field.startsWith(`${o.path.join('.')}.`),
  );
  const line = fromEnv ? undefined : source.lineOf(fieldPath);
  const where = fromEnv
    ? `environment variable ${fromEnv.variable}`
    : `${options.path ?? 'configuration'}${line === undefined ? '' : `:${line}`}`;
  throw new ConfigError(`${where}: ${field || '(root)'}: ${describeIssue(issue)}`, {
    field,
    ...(line === undefined ? {} : { line }),
  });
}
