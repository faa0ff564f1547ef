import { z } from 'zod';
import { LOG_SYNCS } from '../backends/file/layout.js';
import { s3ConfigSchema } from '../backends/s3/config.js';
import { MachineId } from '../contract/machine-id.js';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS } from '../runtime/options.js';
import { ENV_VARIABLE_NAME, KEYRING_TEXT, KEYRING_TEXT_MISPLACED } from '../secrets/keyring-source.js';
import { headerValue } from './header-value.js';
import { MAX_TIMER_MS } from './timer-limit.js';
import { MAX_IDLE_SPIN_MICROS, MIN_WORKER_HEAP_MB } from './worker-limits.js';

/**
 * The configuration file's schema (YAML or JSON). Every field has a default, so an empty file —
 * or no file — gives the embedded default: one file instance under ./data, served on
 * 127.0.0.1:9464. docs/configuration.md documents each field.
 */
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
/** Milliseconds, bounded by what a Node timer can wait (timer-limit.ts). */
const positiveMs = positiveInt.max(MAX_TIMER_MS);
const nonNegativeMs = nonNegativeInt.max(MAX_TIMER_MS);

const memoryInstance = z.strictObject({
  kind: z.literal('memory'),
  /** Identifies the instance; its name is `memory-<hash(name)>`. */
  name: z.string().min(1),
});

const fileInstance = z.strictObject({
  kind: z.literal('file'),
  /** The instance's directory, created 0700 when missing. Relative paths resolve against the working directory. */
  dir: z.string().min(1),
  /** false: open only an instance that exists (FileBackendOptions.create), for a mounted filesystem. */
  create: z.boolean().optional(),
  /** Compaction thresholds; see docs/file-format.md. */
  compactMinBytes: positiveInt.optional(),
  compactGarbageRatio: z.number().gt(0).lt(1).optional(),
  /** How a log batch is made durable; see LogSync in src/backends/file/layout.ts. */
  logSync: z.enum(LOG_SYNCS).optional(),
});

/** The S3 backend's own fields (docs/s3.md), checked here so a bad one is reported with its line. */
const s3Instance = s3ConfigSchema.extend({ kind: z.literal('s3') });

function isMachineId(text: string): boolean {
  try {
    MachineId.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const instanceSchema = z.discriminatedUnion('kind', [memoryInstance, fileInstance, s3Instance]);

/** The embedded default: one file instance under ./data. */
export const DEFAULT_INSTANCES = [{ kind: 'file', dir: './data' }] as const;

export const configSchema = z.strictObject({
  /** Owner id recorded in instance locks (a UUID). Generated per process when absent. */
  machineId: z
    .string()
    .refine(isMachineId, 'must be a UUID such as 0b7e0a52-3f0c-4c6e-9d8a-2f6c1b9e4a10')
    .optional(),
  instances: z
    .array(instanceSchema)
    .min(1)
    .default(DEFAULT_INSTANCES.map((instance) => ({ ...instance }))),
  limits: z.strictObject({ maxObjectBytes: positiveInt.optional() }).prefault({}),
  // Runtime fields mirror RuntimeOptions (src/runtime/options.ts), which owns their defaults.
  /** The worker threads: one per instance (docs/architecture.md), each with these limits. */
  pool: z
    .strictObject({
      /** Heap of each worker; exceeding it kills the worker, which the supervisor restarts (reason `oom`). */
      workerHeapMb: positiveInt.min(MIN_WORKER_HEAP_MB).optional(),
      /** Young generation of each worker: smaller holds less garbage between collections, at some CPU. */
      workerYoungGenerationMb: positiveInt.optional(),
      maxBatchOps: positiveInt.optional(),
      maxBatchesInFlight: positiveInt.optional(),
      idleSpinMicros: nonNegativeInt.max(MAX_IDLE_SPIN_MICROS).optional(),
      listPageSize: positiveInt.optional(),
    })
    .prefault({}),
  mailbox: z
    .strictObject({
      capacity: positiveInt.optional(),
      policy: z.enum(['reject', 'wait']).optional(),
      waitMs: nonNegativeMs.optional(),
      concurrency: positiveInt.optional(),
    })
    .prefault({}),
  supervisor: z
    .strictObject({
      initializeAttempts: positiveInt.optional(),
      backoffBaseMs: nonNegativeMs.optional(),
      backoffMaxMs: nonNegativeMs.optional(),
      probeIntervalMs: positiveMs.optional(),
      probeTimeoutMs: positiveMs.optional(),
      probeFailureThreshold: positiveInt.optional(),
      hangTimeoutMs: positiveMs.optional(),
      openTimeoutMs: positiveMs.optional(),
      maxRestarts: nonNegativeInt.optional(),
      withinMs: positiveMs.optional(),
    })
    // The first delay is the base, capped by the most: a base above it would be ignored.
    .superRefine((s, context) => {
      const base = s.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
      const most = s.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
      if (base <= most) return;
      // The values as they apply: the file may set only one of the two.
      const shown = (field: string, value: number, set: number | undefined) =>
        `${field} ${value}${set === undefined ? ', its default' : ''}`;
      const message = `must be at most backoffMaxMs (${shown('backoffBaseMs', base, s.backoffBaseMs)}; ${shown('backoffMaxMs', most, s.backoffMaxMs)})`;
      context.addIssue({ code: 'custom', message, path: ['backoffBaseMs'] });
    })
    .prefault({}),
  /** How long a graceful close lets queued work drain before rejecting it (RuntimeOptions.closeDeadlineMs). */
  shutdown: z.strictObject({ drainDeadlineMs: nonNegativeMs.optional() }).prefault({}),
  metrics: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: nonNegativeInt.max(65535).default(9464),
      /** Connections served at once (StowageServerOptions.maxConnections). */
      maxConnections: positiveInt.optional(),
      /** Bearer token for the HTTP API; required to bind anything but loopback. */
      token: headerValue
        .min(16)
        // Clients trim a header's value: a token with spaces at its ends could never match.
        .refine((token) => token.trim() === token, 'must not have spaces at either end')
        .optional(),
    })
    .prefault({}),
  secrets: z
    .strictObject({
      /** Keyring file (mode 0600). */
      keyringFile: z
        .string()
        .min(1)
        .refine((path) => !KEYRING_TEXT.test(path), KEYRING_TEXT_MISPLACED)
        .optional(),
      /** Name of an environment variable holding the keyring. */
      keyringEnv: z.string().regex(ENV_VARIABLE_NAME, KEYRING_TEXT_MISPLACED).optional(),
    })
    // Either source, not both: one of them would be ignored without a word.
    .refine((secrets) => secrets.keyringFile === undefined || secrets.keyringEnv === undefined, {
      message: 'set keyringFile or keyringEnv, not both',
      path: ['keyringEnv'],
    })
    .prefault({}),
});

export type StowageConfig = z.infer<typeof configSchema>;
export type InstanceSettings = z.infer<typeof instanceSchema>;
