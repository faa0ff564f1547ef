import { readFileSync, statSync } from 'node:fs';
import { type Document, isNode, LineCounter, parseDocument, visit } from 'yaml';
import { type BackendConfig, backendInstanceName, storageIdentity } from '../backends/factory.js';
import { logSyncUnavailable } from '../backends/file/layout.js';
import { nestedPrefixesProblem, nestedS3Prefixes, type S3BackendConfig } from '../backends/s3/config.js';
import { ConfigError } from '../errors/config-errors.js';
import { quoted } from '../errors/quoted.js';
import { applyOverrides, type EnvOverride, envOverrides } from './env-overrides.js';
import { reportedIssue } from './reported-issue.js';
import { configSchema, DEFAULT_INSTANCES, type StowageConfig } from './schema.js';
import { shownPath } from './shown-key.js';

export interface LoadConfigOptions {
  /** A YAML or JSON file; when absent, only defaults and the environment apply. */
  readonly path?: string;
  readonly env?: NodeJS.ProcessEnv;
}

interface Source {
  readonly tree: Record<string, unknown>;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** A configuration file is a few KiB; this bounds what a wrong path (a log, a disk image) costs. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The parser's messages that read better in our words (the rest are its own, first line only). */
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  MULTIPLE_DOCS: 'the file holds more than one YAML document (a `---` between two); keep one',
  DUPLICATE_KEY: 'a mapping has the same key twice',
};

/**
 * Where a `.json` file stops being JSON. Read as YAML alone, a comment or a trailing comma became
 * part of the next key, reported as an unknown field that is not shown, or (in an array) was
 * accepted. Only a failure JSON.parse places, or a trailing comma, is reported here (JSON.parse's
 * other messages quote the file's text, which may hold a credential); the rest (an empty file, a
 * BOM, a misspelled literal) is left to the YAML reader and the schema, which read such a file as
 * before.
 */
function jsonProblem(text: string): { readonly message: string; readonly line: number } | undefined {
  try {
    JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    const at = /^(.*) in JSON at position \d+ \(line (\d+) column (\d+)\)$/.exec(message);
    if (at) return { message: `${at[1]} (column ${at[3]})`, line: Number(at[2]) };
    // V8 places no unexpected token, and quotes the text around it. A trailing comma in an array
    // (`[1,]`) is one, and the YAML reader accepted it as it was: found here, outside strings.
    const line = /^Unexpected token '[\]}]'/.test(message) ? trailingCommaLine(text) : undefined;
    return line === undefined ? undefined : { message: 'a trailing comma', line };
  }
}

/** The line of the first `,` followed (past whitespace) by `]` or `}` outside a string, if any. */
function trailingCommaLine(text: string): number | undefined {
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === ',') {
      let next = i + 1;
      while (next < text.length && /\s/.test(text[next] as string)) next++;
      if (text[next] === ']' || text[next] === '}') return line;
    }
  }
  return undefined;
}

function readSource(path: string | undefined): Source {
  if (path === undefined) return { tree: {}, lineOf: () => undefined };
  let text: string;
  try {
    // A FIFO would block the read for ever, a device or a huge file cost without end.
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > MAX_CONFIG_BYTES) throw new Error(`${stat.size} bytes, over ${MAX_CONFIG_BYTES}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(error as Error).message}`, {
      field: '',
    });
  }
  if (/\.json$/i.test(path)) {
    const problem = jsonProblem(text);
    if (problem) {
      throw new ConfigError(`${path}:${problem.line}: not valid JSON: ${problem.message}`, {
        field: '',
        line: problem.line,
      });
    }
  }
  const lineCounter = new LineCounter();
  // logLevel error: the parser's warnings (a collection as a key) would otherwise reach stderr.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'error' });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    const message = YAML_PROBLEMS[syntax.code] ?? syntax.message.split('\n')[0];
    throw new ConfigError(`${path}:${line}: ${message}`, { field: '', line });
  }
  let value: Record<string, unknown>;
  try {
    value = doc.toJS() ?? {};
  } catch (error) {
    // An alias to no anchor, or so many aliases that they would expand without bound.
    const message = (error as Error).message.split('\n')[0] ?? '';
    const line = aliasLine(doc, message, lineCounter);
    throw new ConfigError(`${path}${line === undefined ? '' : `:${line}`}: ${message}`, {
      field: '',
      ...(line === undefined ? {} : { line }),
    });
  }
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

/** The line of the first alias to the anchor an "Unresolved alias …: <name>" message names. */
function aliasLine(doc: Document, message: string, lineCounter: LineCounter): number | undefined {
  const name = /^Unresolved alias.*: (.+)$/.exec(message)?.[1];
  let line: number | undefined;
  if (name === undefined) return undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.source !== name || !node.range) return undefined;
      line = lineCounter.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
}

/**
 * Reads, overrides from the environment, and validates the configuration: the schema (S3
 * instances' own fields included) and that no two instances are one. The first problem found becomes one
 * ConfigError naming the field and its source: the environment variable that set it, or the file
 * and its line.
 */
export function loadConfig(options: LoadConfigOptions = {}): StowageConfig {
  const source = readSource(options.path);
  const overrides = envOverrides(options.env ?? process.env);
  // Overrides of `instances.N.…` with no instances configured apply to the embedded default, as
  // STOWAGE__instances__0__dir=/var/lib/stowage means; without it they would build an instance
  // from nothing. One that sets the first instance's kind to another describes an instance of its own.
  if (source.tree.instances === undefined && overrides.some((o) => o.path[0] === 'instances')) {
    const ownKind = overrides.some(
      (o) => o.path.join('.') === 'instances.0.kind' && o.value !== DEFAULT_INSTANCES[0].kind,
    );
    source.tree.instances = ownKind ? [] : DEFAULT_INSTANCES.map((instance) => ({ ...instance }));
  }
  // What the file and the embedded default give, before any variable: a field missing from it
  // was made by a variable (problemAt).
  const base = structuredClone(source.tree);
  applyOverrides(source.tree, overrides);
  const fail = (fieldPath: readonly PropertyKey[], problem: string): never => {
    throw problemAt(fieldPath, problem, { source, base, overrides, file: options.path });
  };
  const config = validate(source.tree, overrides, fail);
  checkInstances(config, base, overrides, fail);
  return config;
}

/**
 * Validates a configuration built in code, such as openStowage's argument, as loadConfig() validates
 * a file's: the same schema and instance checks, the same ConfigError naming the field. A
 * configuration that loadConfig() returned passes unchanged.
 */
export function checkConfig(config: unknown): StowageConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError('configuration: the configuration must be an object', { field: '' });
  }
  const source: Source = { tree: config as Record<string, unknown>, lineOf: () => undefined };
  const fail = (fieldPath: readonly PropertyKey[], problem: string): never => {
    throw problemAt(fieldPath, problem, { source, base: source.tree, overrides: [], file: undefined });
  };
  const checked = validate(source.tree, [], fail);
  checkInstances(checked, source.tree, [], fail);
  return checked;
}

function validate(
  tree: Record<string, unknown>,
  overrides: readonly EnvOverride[],
  fail: (fieldPath: readonly PropertyKey[], problem: string) => never,
): StowageConfig {
  let parsed = configSchema.safeParse(tree);
  // A variable whose text parses as JSON (a token of digits, a name such as `true`) is taken as
  // written where the field wants a string.
  for (let retried = 0; !parsed.success && retried < overrides.length; retried++) {
    const override = parsed.error.issues
      .filter((i) => i.code === 'invalid_type' && i.expected === 'string')
      .map((i) => overrideAt(overrides, i.path, true))
      .find((o) => o !== undefined);
    if (!override) break;
    applyOverrides(tree, [{ ...override, value: override.raw }]);
    parsed = configSchema.safeParse(tree);
  }
  if (parsed.success) return parsed.data;
  const { path, message } = reportedIssue(parsed.error.issues);
  return fail(path, message);
}

/** The override that set exactly `path`, one whose value was parsed from JSON if `parsedOnly`. */
function overrideAt(
  overrides: readonly EnvOverride[],
  path: readonly PropertyKey[],
  parsedOnly: boolean,
): EnvOverride | undefined {
  const field = path.map(String).join('.');
  return overrides.find((o) => o.path.join('.') === field && (!parsedOnly || typeof o.value !== 'string'));
}

/**
 * What the schema cannot see: a logSync this platform does not offer, two entries that are one
 * instance, or two S3 instances whose prefixes nest in one bucket (reported at the inner one's
 * prefix). Of one instance twice, the
 * entry whose name variables changed is reported (else the second), at a field of its name a
 * variable set, else at the field that most names it: a variable that set some other field of it
 * is not blamed.
 */
function checkInstances(
  config: StowageConfig,
  base: Record<string, unknown>,
  overrides: readonly EnvOverride[],
  fail: (fieldPath: readonly PropertyKey[], problem: string) => never,
): void {
  const seen = new Map<string, number>();
  const names = config.instances.map((instance) => backendInstanceName(instance as BackendConfig));
  for (const [index, instance] of config.instances.entries()) {
    const name = names[index] as string;
    // One storage, however it is spelled (a symbolic link, an endpoint with a trailing slash).
    const identity = storageIdentity(instance as BackendConfig);
    const first = seen.get(identity);
    if (first !== undefined) {
      const changed = (at: number) => nameBefore(base, at) !== names[at];
      const at = changed(first) && !changed(index) ? first : index;
      const fields: readonly string[] = NAME_FIELDS[(config.instances[at] as BackendConfig).kind];
      // A name field a variable set is to blame only if variables changed this instance's name.
      const set = changed(at)
        ? fields.find((field) => overrideAt(overrides, ['instances', at, field], false))
        : undefined;
      fail(
        ['instances', at, set ?? (fields[0] as string)],
        `the same instance as instances.${at === first ? index : first} (${name})`,
      );
    }
    seen.set(identity, index);
  }
  for (const [index, instance] of config.instances.entries()) {
    const unavailable = instance.kind === 'file' && instance.logSync && logSyncUnavailable(instance.logSync);
    if (unavailable) fail(['instances', index, 'logSync'], unavailable);
  }
  const s3 = [...config.instances.entries()].filter(([, instance]) => instance.kind === 's3');
  const nested = nestedS3Prefixes(s3.map(([, instance]) => instance as S3BackendConfig));
  if (nested) {
    const at = (index: number) => s3[index]![0];
    fail(['instances', at(nested.inner), 'prefix'], nestedPrefixesProblem(`instances.${at(nested.outer)}`));
  }
}

/** The name instance `index` had before any variable, if it was a valid instance then. */
function nameBefore(base: Record<string, unknown>, index: number): string | undefined {
  const instances = base.instances;
  if (!Array.isArray(instances) || instances[index] === undefined) return undefined;
  try {
    return backendInstanceName(instances[index] as BackendConfig);
  } catch {
    return undefined;
  }
}

/** The fields an instance's name is made of, the one that most names it first (backendInstanceName). */
const NAME_FIELDS = {
  file: ['dir'],
  memory: ['name'],
  s3: ['bucket', 'prefix', 'endpoint', 'region'],
} as const;

/** The shortest part of `path` that `tree` does not have, dotted; undefined if it has all of it. */
function missingIn(tree: unknown, path: readonly PropertyKey[]): string | undefined {
  let node = tree;
  for (let depth = 0; depth < path.length; depth++) {
    const segment = String(path[depth]);
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) {
      return path
        .slice(0, depth + 1)
        .map(String)
        .join('.');
    }
    node = (node as Record<string, unknown>)[segment];
  }
  return undefined;
}

function problemAt(
  fieldPath: readonly PropertyKey[],
  problem: string,
  context: {
    readonly source: Source;
    readonly base: unknown;
    readonly overrides: readonly EnvOverride[];
    readonly file: string | undefined;
  },
): ConfigError {
  const { source, base, overrides, file } = context;
  const field = fieldPath.map(String).join('.');
  // The variable that set this field or a field holding it (the last applied, which won); else one
  // that made it (a misspelled path makes a field); else one under the part of the path only
  // variables made (an instance they describe), the one whose path shares the most with the field.
  const path = (o: EnvOverride) => o.path.join('.');
  const missing = missingIn(base, fieldPath);
  const shared = (o: EnvOverride) => {
    const differs = o.path.findIndex((segment, i) => segment !== String(fieldPath[i]));
    return differs === -1 ? o.path.length : differs;
  };
  const nearest = (candidates: EnvOverride[]) =>
    candidates.reduce<EnvOverride | undefined>(
      (best, o) => (best && shared(best) >= shared(o) ? best : o),
      undefined,
    );
  const fromEnv =
    overrides.filter((o) => path(o) === field || field.startsWith(`${path(o)}.`)).at(-1) ??
    overrides.find((o) => field !== '' && path(o).startsWith(`${field}.`)) ??
    (missing === undefined ? undefined : nearest(overrides.filter((o) => path(o).startsWith(`${missing}.`))));
  const line = fromEnv ? undefined : source.lineOf(fieldPath);
  const where = fromEnv
    ? `environment variable ${fromEnv.variable}`
    : `${file ?? 'configuration'}${line === undefined ? '' : `:${line}`}`;
  const shown = shownPath(fieldPath);
  // A variable that changed an instance's kind makes the file's own fields of it wrong: name it.
  const kindSetBy =
    fieldPath[0] === 'instances' && fieldPath.length > 2
      ? overrides.filter((o) => path(o) === `instances.${String(fieldPath[1])}.kind`).at(-1)
      : undefined;
  const kindBefore =
    kindSetBy && (base as { instances?: { kind?: unknown }[] }).instances?.[Number(fieldPath[1])]?.kind;
  const kindNote =
    kindSetBy && kindSetBy !== fromEnv && kindSetBy.value !== kindBefore
      ? ` (environment variable ${kindSetBy.variable} made instances.${String(fieldPath[1])} a ${quoted(kindSetBy.value)} instance)`
      : '';
  return new ConfigError(`${where}: ${shown || '(root)'}: ${problem}${kindNote}`, {
    field: shown,
    ...(line === undefined ? {} : { line }),
  });
}
