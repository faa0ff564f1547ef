export type { Backend, BackendRecord } from './backends/backend.js';
export { createMemoryVolume, MemoryBackend, type MemoryVolume } from './backends/memory.js';
export { instanceName } from './config/instance-name.js';
export {
  apiVersionOf,
  checkGvk,
  type GroupVersionKind,
  gvk,
  gvkFromApiVersion,
  gvkString,
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
export { canonicalJson } from './objects/canonical-json.js';
export { DEFAULT_MAX_OBJECT_BYTES, decodeObject, encodeObject } from './objects/codec.js';
export { identify, type ObjectIdentity } from './objects/identity.js';
export { type LocalInstance, LocalProvider } from './provider/local-provider.js';
export { ObjectStore, type ObjectStoreOptions } from './store/object-store.js';
