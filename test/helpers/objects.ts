import type { RuntimeObject } from '../../src/index.js';

export interface ObjectSpec {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
  data?: Record<string, unknown>;
}

/** A small ConfigMap-shaped object; override any part. */
export function makeObject(spec: ObjectSpec): RuntimeObject {
  return {
    apiVersion: spec.apiVersion ?? 'v1',
    kind: spec.kind ?? 'ConfigMap',
    metadata:
      spec.namespace === undefined ? { name: spec.name } : { name: spec.name, namespace: spec.namespace },
    data: spec.data ?? { value: spec.name },
  };
}

/** An object of about `bytes` serialized bytes (2 KiB by default, the size the benchmarks use). */
export function makeSizedObject(name: string, bytes = 2048, namespace = 'bench'): RuntimeObject {
  const object = makeObject({ name, namespace, data: { payload: '' } });
  const overhead = JSON.stringify(object).length;
  (object.data as { payload: string }).payload = 'x'.repeat(Math.max(0, bytes - overhead));
  return object;
}
