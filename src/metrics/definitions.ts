import type { Operation } from '../runtime/observer.js';

/**
 * Every metric stowage exposes: names, label names, buckets and the closed sets of label values
 * that are created at zero. docs/metrics.md documents each name here, and a test keeps the two in
 * step. Label names never include `instance` or `job` (Prometheus owns those); the stowage
 * instance is `store`. No label ever carries an object key, name or path.
 */
export const METRICS = {
  persistDuration: 'stowage_persist_duration_seconds',
  backendDuration: 'stowage_backend_duration_seconds',
  meanPersistLatency: 'stowage_mean_persist_latency_seconds',
  operations: 'stowage_operations_total',
  operationFailures: 'stowage_operation_failures_total',
  operationsInFlight: 'stowage_operations_in_flight',
  queueDepth: 'stowage_queue_depth',
  queueCapacity: 'stowage_queue_capacity',
  queueRejected: 'stowage_queue_rejected_total',
  queueWait: 'stowage_queue_wait_seconds',
  instanceUp: 'stowage_instance_up',
  actorRestarts: 'stowage_actor_restarts_total',
  probeDuration: 'stowage_probe_duration_seconds',
  probeFailures: 'stowage_probe_failures_total',
  lastOpenTornTail: 'stowage_last_open_torn_tail_bytes',
  compactionFailing: 'stowage_compaction_failing',
  workerBusy: 'stowage_worker_busy_seconds_total',
  poolWorkers: 'stowage_pool_workers',
  buildInfo: 'stowage_build_info',
  eventLoopDelay: 'stowage_event_loop_delay_seconds',
  httpConnectionsDropped: 'stowage_http_connections_dropped_total',
  secretFailures: 'stowage_secret_failures_total',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** Labels of every per-store metric. */
export const STORE_LABELS = ['backend', 'store'] as const;
export const OPERATION_LABELS = ['backend', 'store', 'operation'] as const;
export const FAILURE_LABELS = ['backend', 'store', 'operation', 'reason'] as const;
export const RESTART_LABELS = ['backend', 'store', 'reason'] as const;

/**
 * Every operation of the RuntimeObserver contract. `satisfies` rejects a name the contract lacks;
 * the type check below fails to compile when the contract gains one this list misses.
 */
export const OPERATIONS = ['put', 'get', 'get_all', 'delete'] as const satisfies readonly Operation[];
type MissingOperation = Exclude<Operation, (typeof OPERATIONS)[number]>;
const operationsComplete: MissingOperation extends never ? true : never = true;
void operationsComplete;

/**
 * Why the supervisor restarted an actor (see RuntimeObserver.actorRestarted; `probe` is a worker
 * killed after repeated failed liveness probes). A reason outside this list is counted as `other`,
 * so a runtime change can never grow the label set unbounded.
 */
export const RESTART_REASONS = ['exit', 'error', 'hang', 'oom', 'probe', 'initialize', 'other'] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

export function restartReason(reason: string): RestartReason {
  return (RESTART_REASONS as readonly string[]).includes(reason) ? (reason as RestartReason) : 'other';
}

/**
 * Persist and probe latencies: 100 µs (a memory put) to 10 s (an S3 request timing out). The file
 * backend's durable write (~0.3 ms) and a loopback S3 put (a few ms) each land mid-range.
 */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Mailbox waits run from microseconds (idle) to the `wait` policy's deadline (seconds). */
export const QUEUE_WAIT_BUCKETS = [0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];

/** A healthy loop stays under a few ms; a blocked one shows up in the upper buckets. */
export const EVENT_LOOP_DELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
