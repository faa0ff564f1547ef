import type { ResourceLimits } from 'node:worker_threads';
import { MAX_TIMER_MS } from '../config/timer-limit.js';
import { MAX_IDLE_SPIN_MICROS, MIN_WORKER_HEAP_MB } from '../config/worker-limits.js';
import { InvalidRuntimeConfigError } from '../errors/index.js';
import { typeNamed } from '../errors/quoted.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../objects/codec.js';
import type { RuntimeObserver } from './observer.js';

export interface MailboxOptions {
  /** Operations that may wait in one instance's mailbox (not yet sent to the worker). @default 1024 */
  readonly capacity?: number;
  /** When full: `reject` throws QueueFullError at once; `wait` waits up to `waitMs`. @default 'reject' */
  readonly policy?: 'reject' | 'wait';
  /** How long policy `wait` waits for room before QueueTimeoutError. @default 1000 */
  readonly waitMs?: number;
  /** Operations of one instance in flight in its worker at once (different keys run concurrently). @default 256 */
  readonly concurrency?: number;
}

export interface SupervisorOptions {
  /** Attempts `initialize()` makes per instance before it reports the instance failed. @default 3 */
  readonly initializeAttempts?: number;
  /** First retry/restart delay; it doubles per consecutive failure. @default 100 */
  readonly backoffBaseMs?: number;
  /** Ceiling of the backoff, also the period of background retries of failed instances. @default 5000 */
  readonly backoffMaxMs?: number;
  /** How often each instance is probed. @default 1000 */
  readonly probeIntervalMs?: number;
  /** A probe slower than this counts as a failure. @default 1000 */
  readonly probeTimeoutMs?: number;
  /** Consecutive probe failures after which the actor is restarted. @default 3 */
  readonly probeFailureThreshold?: number;
  /** An operation in flight longer than this means the worker is hung; it is terminated. @default 10000 */
  readonly hangTimeoutMs?: number;
  /**
   * Starting an actor's worker and opening its backend (a file instance reads its whole log) longer
   * than this is a failed start: the worker is terminated and the start retried with backoff.
   * @default 120000
   */
  readonly openTimeoutMs?: number;
  /** Restart intensity: more than `maxRestarts` within `withinMs` leaves the instance down. @default 5 */
  readonly maxRestarts?: number;
  /** @default 60000 */
  readonly withinMs?: number;
}

export interface RuntimeOptions {
  readonly mailbox?: MailboxOptions;
  readonly supervisor?: SupervisorOptions;
  /** Largest serialized object accepted. @default 1.5 MiB */
  readonly maxObjectBytes?: number;
  /**
   * Most operations sent to a worker in one message (message-level group commit), for every
   * instance. @default 64 for memory and file, 4 for s3 (see batching.ts)
   */
  readonly maxBatchOps?: number;
  /** Batches of one instance in flight at once; more operations wait and join the next batch. @default 4 for memory and file, 64 for s3 */
  readonly maxBatchesInFlight?: number;
  /**
   * Microseconds an idle worker polls for its next message before it sleeps, when messages have
   * been arriving back to back; 0 turns it off. Saves the worker's wake-up (35–55 µs measured) at
   * the price of that much CPU at most per idle spell (docs/architecture.md, "Idle spin").
   * @default 200 for memory and file while the machine has a core for each such instance plus one, else 0; 0 for s3 (see batching.ts)
   */
  readonly idleSpinMicros?: number;
  /** Objects per page when streaming a listing across threads. @default 256 */
  readonly listPageSize?: number;
  /** Heap limits per worker; exceeding them kills the worker (restart reason `oom`). */
  readonly resourceLimits?: ResourceLimits;
  /** How long `close()` lets queued work drain before rejecting it. @default 5000 */
  readonly closeDeadlineMs?: number;
  /** Admit `{kind: 'module'}` instance configurations (test fixtures, out-of-tree backends). @default false */
  readonly allowModuleBackends?: boolean;
  readonly observer?: RuntimeObserver;
}

export type ResolvedOptions = Required<
  Omit<
    RuntimeOptions,
    | 'mailbox'
    | 'supervisor'
    | 'resourceLimits'
    | 'observer'
    | 'maxBatchOps'
    | 'maxBatchesInFlight'
    | 'idleSpinMicros'
  >
> & {
  /** Undefined: the backend kind's default (batching.ts). */
  readonly maxBatchOps: number | undefined;
  readonly maxBatchesInFlight: number | undefined;
  readonly idleSpinMicros: number | undefined;
  readonly mailbox: Required<MailboxOptions>;
  readonly supervisor: Required<SupervisorOptions>;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly observer: RuntimeObserver | undefined;
};

export const DEFAULT_BACKOFF_BASE_MS = 100;
export const DEFAULT_BACKOFF_MAX_MS = 5000;

/**
 * Every option's name, by section: anything else is a typo, and was ignored without a word. Each
 * is a record over the interface's keys, so the compiler keeps it complete and exact.
 */
const KNOWN_OPTIONS = {
  '': names<RuntimeOptions>({
    mailbox: true,
    supervisor: true,
    maxObjectBytes: true,
    maxBatchOps: true,
    maxBatchesInFlight: true,
    idleSpinMicros: true,
    listPageSize: true,
    resourceLimits: true,
    closeDeadlineMs: true,
    allowModuleBackends: true,
    observer: true,
  }),
  'mailbox.': names<MailboxOptions>({ capacity: true, policy: true, waitMs: true, concurrency: true }),
  'supervisor.': names<SupervisorOptions>({
    initializeAttempts: true,
    backoffBaseMs: true,
    backoffMaxMs: true,
    probeIntervalMs: true,
    probeTimeoutMs: true,
    probeFailureThreshold: true,
    hangTimeoutMs: true,
    openTimeoutMs: true,
    maxRestarts: true,
    withinMs: true,
  }),
};

/** The keys of `every`, a record the compiler checks against all of T's keys and only those. */
export function names<T>(every: Record<keyof T, true>): readonly string[] {
  return Object.keys(every);
}

/**
 * `value` as a section of options, which must be a plain object: from JavaScript, `supervisor: 5`
 * was taken for no supervisor options at all, and `mailbox: 'wait'` was read as a string's
 * characters ("mailbox.0 is no runtime option").
 */
function optionSection<T extends object>(name: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidRuntimeConfigError(`${name} must be an object of options, not ${typeNamed(value)}`, {
      field: name,
    });
  return value;
}

function checkKnown(section: keyof typeof KNOWN_OPTIONS, options: object): void {
  const known: readonly string[] = KNOWN_OPTIONS[section];
  const unknown = Object.keys(options).find((name) => !known.includes(name));
  if (unknown !== undefined) {
    const field = `${section}${unknown.slice(0, 100)}`;
    throw new InvalidRuntimeConfigError(`${field} is no runtime option`, { field });
  }
}

/** Fills defaults and checks every number; an invalid option is an InvalidRuntimeConfigError naming it. */
export function resolveOptions(given: RuntimeOptions | null = {}): ResolvedOptions {
  // null from a JavaScript caller means the defaults, as undefined does.
  const options: RuntimeOptions = optionSection('options', given ?? {});
  const m: MailboxOptions = optionSection('mailbox', options.mailbox ?? {});
  const s: SupervisorOptions = optionSection('supervisor', options.supervisor ?? {});
  checkKnown('', options);
  checkKnown('mailbox.', m);
  checkKnown('supervisor.', s);
  const policy = m.policy ?? 'reject';
  if (policy !== 'reject' && policy !== 'wait') {
    throw new InvalidRuntimeConfigError(`mailbox.policy must be reject or wait`, { field: 'mailbox.policy' });
  }
  const backoffBaseMs = ms('supervisor.backoffBaseMs', s.backoffBaseMs, DEFAULT_BACKOFF_BASE_MS, 0);
  const backoffMaxMs = ms('supervisor.backoffMaxMs', s.backoffMaxMs, DEFAULT_BACKOFF_MAX_MS, 0);
  // The first delay is the base, capped by the most: a base above it was ignored without a word.
  if (backoffBaseMs > backoffMaxMs) {
    throw new InvalidRuntimeConfigError(
      `supervisor.backoffBaseMs (${backoffBaseMs}) must be at most supervisor.backoffMaxMs (${backoffMaxMs})`,
      { field: 'supervisor.backoffBaseMs' },
    );
  }
  return {
    mailbox: {
      capacity: count('mailbox.capacity', m.capacity, 1024),
      policy,
      waitMs: ms('mailbox.waitMs', m.waitMs, 1000, 0),
      concurrency: count('mailbox.concurrency', m.concurrency, 256),
    },
    supervisor: {
      initializeAttempts: count('supervisor.initializeAttempts', s.initializeAttempts, 3),
      backoffBaseMs,
      backoffMaxMs,
      probeIntervalMs: ms('supervisor.probeIntervalMs', s.probeIntervalMs, 1000),
      probeTimeoutMs: ms('supervisor.probeTimeoutMs', s.probeTimeoutMs, 1000),
      probeFailureThreshold: count('supervisor.probeFailureThreshold', s.probeFailureThreshold, 3),
      hangTimeoutMs: ms('supervisor.hangTimeoutMs', s.hangTimeoutMs, 10_000),
      openTimeoutMs: ms('supervisor.openTimeoutMs', s.openTimeoutMs, 120_000),
      maxRestarts: count('supervisor.maxRestarts', s.maxRestarts, 5, 0),
      withinMs: ms('supervisor.withinMs', s.withinMs, 60_000),
    },
    maxObjectBytes: count('maxObjectBytes', options.maxObjectBytes, DEFAULT_MAX_OBJECT_BYTES),
    maxBatchOps: optionalCount('maxBatchOps', options.maxBatchOps),
    maxBatchesInFlight: optionalCount('maxBatchesInFlight', options.maxBatchesInFlight),
    idleSpinMicros: idleSpin(options.idleSpinMicros),
    listPageSize: count('listPageSize', options.listPageSize, 256),
    resourceLimits: checkedResourceLimits(options.resourceLimits),
    closeDeadlineMs: ms('closeDeadlineMs', options.closeDeadlineMs, 5000, 0),
    allowModuleBackends: options.allowModuleBackends ?? false,
    observer: options.observer,
  };
}

function optionalCount(field: string, value: number | undefined, min = 1): number | undefined {
  return value === undefined ? undefined : count(field, value, value, min);
}

function idleSpin(value: number | undefined): number | undefined {
  const micros = optionalCount('idleSpinMicros', value, 0);
  if (micros !== undefined && micros > MAX_IDLE_SPIN_MICROS) {
    throw new InvalidRuntimeConfigError(
      `idleSpinMicros must be at most ${MAX_IDLE_SPIN_MICROS}, got ${micros}`,
      {
        field: 'idleSpinMicros',
      },
    );
  }
  return micros;
}

/**
 * The smallest value of each worker resource limit. A heap too small to start a worker in, or a
 * stack too small for its first calls (0.1 MiB: "Maximum call stack size exceeded" while the
 * worker loads), aborts the whole process, not just the worker; Node's default stack is 4 MiB.
 * The others only need to be positive.
 */
const RESOURCE_LIMIT_MINIMA: Readonly<Record<keyof ResourceLimits, number>> = {
  maxOldGenerationSizeMb: MIN_WORKER_HEAP_MB,
  maxYoungGenerationSizeMb: Number.MIN_VALUE,
  codeRangeSizeMb: Number.MIN_VALUE,
  stackSizeMb: 1,
};

function checkedResourceLimits(limits: ResourceLimits | undefined): ResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new InvalidRuntimeConfigError(`resourceLimits must be an object, got ${String(limits)}`, {
      field: 'resourceLimits',
    });
  }
  for (const [name, value] of Object.entries(limits)) {
    const field = `resourceLimits.${name}`;
    if (!Object.hasOwn(RESOURCE_LIMIT_MINIMA, name)) {
      throw new InvalidRuntimeConfigError(`${field} is not a worker resource limit`, { field });
    }
    const min = RESOURCE_LIMIT_MINIMA[name as keyof ResourceLimits];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      const bound = min === Number.MIN_VALUE ? 'a number > 0' : `a number ≥ ${min}`;
      throw new InvalidRuntimeConfigError(`${field} must be ${bound}, got ${String(value)}`, { field });
    }
  }
  return limits;
}

/** count() for a delay, which a Node timer must be able to wait (timer-limit.ts). */
function ms(field: string, value: number | undefined, fallback: number, min = 1): number {
  const checked = count(field, value, fallback, min);
  if (checked > MAX_TIMER_MS) {
    throw new InvalidRuntimeConfigError(`${field} must be at most ${MAX_TIMER_MS} ms, got ${checked}`, {
      field,
    });
  }
  return checked;
}

function count(field: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  // Safe integers only: a larger one is not exact, and the stores refuse it where they check again.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidRuntimeConfigError(`${field} must be an integer ≥ ${min}, got ${String(value)}`, {
      field,
    });
  }
  return value;
}
