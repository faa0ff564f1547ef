import type { Backend } from '../backends/backend.js';
import { checkGvk, type GroupVersionKind, gvkString } from '../contract/gvk.js';
import { checkObjectKey, type ObjectKey } from '../contract/object-key.js';
import type { RuntimeObject } from '../contract/types.js';
import { DEFAULT_MAX_OBJECT_BYTES, decodeObject, encodeObject } from '../objects/codec.js';

export interface ObjectStoreOptions {
  /** Largest serialized object accepted, in bytes. @default 1.5 MiB (etcd's limit) */
  readonly maxObjectBytes?: number;
}

/**
 * The object-level API over one backend: validation, key derivation and canonical encoding on the
 * way in, decoding (and CorruptObject detection) on the way out. Every backend gets the same rules.
 */
export class ObjectStore {
  readonly maxObjectBytes: number;

  constructor(
    readonly backend: Backend,
    options: ObjectStoreOptions = {},
  ) {
    this.maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  }

  async put(object: RuntimeObject): Promise<ObjectKey> {
    const encoded = encodeObject(object, this.maxObjectBytes);
    await this.backend.put(encoded.gvk, encoded.key, encoded.bytes);
    return encoded.key;
  }

  async get(gvk: GroupVersionKind, key: string): Promise<RuntimeObject | undefined> {
    const checkedGvk = checkGvk(gvk);
    const checkedKey = checkObjectKey(checkedGvk, key);
    const bytes = await this.backend.get(checkedGvk, checkedKey);
    return bytes === undefined ? undefined : decodeObject(bytes, `${gvkString(checkedGvk)} ${checkedKey}`);
  }

  async delete(gvk: GroupVersionKind, key: string): Promise<boolean> {
    const checkedGvk = checkGvk(gvk);
    return this.backend.delete(checkedGvk, checkObjectKey(checkedGvk, key));
  }

  async getAll(gvk: GroupVersionKind): Promise<RuntimeObject[]> {
    const objects: RuntimeObject[] = [];
    for await (const object of this.stream(gvk)) objects.push(object);
    return objects;
  }

  async *stream(gvk: GroupVersionKind): AsyncIterable<RuntimeObject> {
    const checkedGvk = checkGvk(gvk);
    const prefix = gvkString(checkedGvk);
    for await (const record of this.backend.list(checkedGvk)) {
      yield decodeObject(record.bytes, `${prefix} ${record.key}`);
    }
  }
}
