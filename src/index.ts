export { type OpenStowage, type OpenStowageOptions, openStowage } from './app/open-stowage.js';
export { StateLog } from './app/state-log.js';
export type { Backend, BackendRecord } from './backends/backend.js';
export type { BackendConfig } from './backends/factory.js';
export { dumpJsonLines, dumpObjects } from './backends/file/dump.js';
export { FileBackend, type FileBackendStats } from './backends/file/file-backend.js';
export type { LogSync, OpenFile } from './backends/file/layout.js';
export type { LockOwner } from './backends/file/lock.js';
export type { LogIo } from './backends/file/log-writer.js';
export type { FileBackendOptions } from './backends/file/options.js';
export type { RecoveryReport } from './backends/file/recovery.js';
export { createMemoryVolume, MemoryBackend, type MemoryVolume } from './backends/memory.js';
export { type ResolvedS3Config, type S3BackendConfig, s3InstanceName } from './backends/s3/config.js';
export { S3Backend } from './backends/s3/s3-backend.js';
export { instanceName } from './config/instance-name.js';
export { type LoadConfigOptions, loadConfig } from './config/load.js';
export type { StowageConfig } from './config/schema.js';
export {
  apiVersionOf,
  checkGvk,
  type GroupVersionKind,
  gvk,
  gvkFromApiVersion,
  gvkString,
  isReservedGroup,
  parseGvkString,
  RESERVED_GROUP,
} from './contract/gvk.js';
export { MachineId } from './contract/machine-id.js';
export { checkObjectKey, makeObjectKey, type ObjectKey, parseObjectKey } from './contract/object-key.js';
export {
  type ObjectMeta,
  type PersistenceProvider,
  PersistenceProviderStatus,
  type RuntimeObject,
  type SecretInfo,
  type SecretPersistenceProvider,
} from './contract/types.js';
export * from './errors/index.js';
export { METRICS, type MetricName } from './metrics/definitions.js';
export type { EventLoopDelayOptions } from './metrics/event-loop-delay.js';
export { metricsHandler, type RenderedMetrics, renderMetrics } from './metrics/handler.js';
export {
  DEFAULT_METRICS_PORT,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from './metrics/server.js';
export type { SnapshotSource } from './metrics/snapshot-gauges.js';
export { StowageMetrics, type StowageMetricsOptions } from './metrics/stowage-metrics.js';
export { canonicalJson } from './objects/canonical-json.js';
export { DEFAULT_MAX_OBJECT_BYTES, decodeObject, type EncodedObject, encodeObject } from './objects/codec.js';
export { identify, type ObjectIdentity } from './objects/identity.js';
export { type LocalInstance, LocalProvider } from './provider/local-provider.js';
export { combineObservers } from './runtime/combine-observers.js';
export type {
  InstanceSnapshot,
  Operation,
  RuntimeObserver,
  RuntimeSnapshot,
} from './runtime/observer.js';
export type { MailboxOptions, RuntimeOptions, SupervisorOptions } from './runtime/options.js';
export type { InstanceConfig, ModuleBackendConfig } from './runtime/protocol.js';
export { RuntimeProvider } from './runtime/runtime-provider.js';
export { type KeyMaterial, Keyring, parseKeyring } from './secrets/keyring.js';
export { KEYRING_ENV, keyringFromEnv, loadKeyringFile } from './secrets/keyring-source.js';
export {
  observedSecrets,
  type SecretFailureListener,
  type SecretOperation,
} from './secrets/observed-secrets.js';
export type { RecordChannel } from './secrets/record-channel.js';
export { EncryptedSecretProvider, MAX_SECRET_BYTES } from './secrets/secret-provider.js';
export { ObjectStore, type ObjectStoreOptions } from './store/object-store.js';
