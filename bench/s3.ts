import { Agent } from 'node:http';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  encodeObject,
  gvk,
  LocalProvider,
  MachineId,
  type PersistenceProvider,
  type RuntimeObject,
  S3Backend,
  type S3BackendConfig,
  s3InstanceName,
} from '../src/index.js';
import { RuntimeProvider } from '../src/runtime/runtime-provider.js';
import { makeSizedObject } from '../test/helpers/objects.js';
import { acquireRadosgw } from '../test/helpers/radosgw.js';
import { writeSection } from './doc.js';
import { median } from './median.js';

/**
 * stowage's S3 instance against the raw SDK, on the same radosgw in the same run, at the same
 * concurrency and with the same client settings (keep-alive agent, checksum mode, sockets):
 *  - puts and gets of 2 KiB objects: stowage direct (LocalProvider), stowage through the runtime
 *    (RuntimeProvider, worker thread), and raw PutObject/GetObject of the same bytes and keys;
 *  - getAllObjects of 5,000 objects against a raw ListObjectsV2 of every page, then GetObject of
 *    every key with the same parallelism, then JSON.parse (so both sides end with objects).
 * Rounds alternate the contenders; medians of the rounds are reported, with ratios to raw.
 */

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const ROUNDS = 5;
const OPS = 600;
const CONCURRENCY = 32;
const LIST_OBJECTS = 5000;

interface Rate {
  readonly opsPerSecond: number;
  /** Process CPU (all threads) per operation: steadier than throughput on a shared machine. */
  readonly cpuMicrosPerOp: number;
}

/** Runs `count` calls of `op(i)` with `concurrency` in flight. */
async function rate(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Rate> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    opsPerSecond: count / ((performance.now() - started) / 1000),
    cpuMicrosPerOp: (used.user + used.system) / count,
  };
}

function rawClient(config: S3BackendConfig): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: config.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
      connectionTimeout: 3000,
      requestTimeout: 10_000,
    }),
  });
}

const pathOf = (prefix: string, object: RuntimeObject) =>
  `${prefix}/core/v1/ConfigMap/${object.metadata.namespace}/${object.metadata.name}.json`;

interface Contender {
  readonly name: string;
  put(object: RuntimeObject): Promise<unknown>;
  get(object: RuntimeObject): Promise<unknown>;
}

function providerContender(name: string, provider: PersistenceProvider, instance: string): Contender {
  return {
    name,
    put: (object) => provider.putObject(instance, object),
    get: (object) =>
      provider.getObject(instance, CONFIG_MAP, `${object.metadata.namespace}/${object.metadata.name}`),
  };
}

function rawContender(client: S3Client, bucket: string, prefix: string): Contender {
  return {
    name: 'raw SDK',
    put: (object) =>
      client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: pathOf(prefix, object),
          Body: Buffer.from(encodeObject(object, 1_572_864).bytes),
          ContentType: 'application/json',
        }),
      ),
    get: async (object) => {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: pathOf(prefix, object) }));
      return JSON.parse(await answer.Body!.transformToString());
    },
  };
}

/** The raw baseline for getAllObjects: every ListObjectsV2 page, then parallel gets, then parse. */
async function rawListAll(client: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${prefix}/core/v1/ConfigMap/`,
        ContinuationToken: token,
      }),
    );
    for (const entry of page.Contents ?? []) keys.push(entry.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const objects: unknown[] = new Array(keys.length);
  await rate(keys.length, CONCURRENCY, async (i) => {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keys[i]! }));
    objects[i] = JSON.parse(await answer.Body!.transformToString());
  });
  return objects.length;
}

export async function run(): Promise<void> {
  const radosgw = await acquireRadosgw();
  try {
    const bucket = await radosgw.createBucket();
    const config = radosgw.config(bucket, { prefix: 'bench', maxSockets: 64, listConcurrency: CONCURRENCY });
    const direct = new LocalProvider([{ name: s3InstanceName(config), backend: new S3Backend(config) }]);
    const runtime = new RuntimeProvider([{ kind: 's3', ...config, prefix: 'bench-rt' }]);
    await direct.initialize(MachineId.generate());
    await runtime.initialize(MachineId.generate());
    const client = rawClient(config);
    const contenders = [
      providerContender('stowage direct', direct, direct.instances()[0]!),
      providerContender('stowage runtime', runtime, runtime.instances()[0]!),
      rawContender(client, bucket, 'bench-raw'),
    ];
    const puts = new Map<string, Rate[]>(contenders.map((c) => [c.name, []]));
    const gets = new Map<string, Rate[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const objects = Array.from({ length: OPS }, (_, i) => makeSizedObject(`r${round}-o${i}`));
      for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        puts.get(c.name)!.push(await rate(OPS, CONCURRENCY, (i) => c.put(objects[i]!)));
        gets.get(c.name)!.push(await rate(OPS, CONCURRENCY, (i) => c.get(objects[i]!)));
        const [p, g] = [puts.get(c.name)!.at(-1)!, gets.get(c.name)!.at(-1)!];
        console.log(
          `round ${round + 1} ${c.name}: put ${p.opsPerSecond.toFixed(0)}/s, get ${g.opsPerSecond.toFixed(0)}/s`,
        );
      }
    }

    const listBucket = await radosgw.createBucket();
    const listConfig = radosgw.config(listBucket, { prefix: 'list', listConcurrency: CONCURRENCY });
    const lister = new LocalProvider([{ name: 'list', backend: new S3Backend(listConfig) }]);
    await lister.initialize(MachineId.generate());
    await rate(LIST_OBJECTS, CONCURRENCY, (i) => lister.putObject('list', makeSizedObject(`o${i}`)));
    const listClient = rawClient(listConfig);
    const listTimes = { stowage: [] as number[], raw: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? (['stowage', 'raw'] as const) : (['raw', 'stowage'] as const)) {
        const started = performance.now();
        const count =
          side === 'stowage'
            ? (await lister.getAllObjects('list', CONFIG_MAP)).length
            : await rawListAll(listClient, listBucket, 'list');
        if (count !== LIST_OBJECTS) throw new Error(`${side} listed ${count} objects`);
        listTimes[side].push((performance.now() - started) / 1000);
        console.log(`round ${round + 1} getAllObjects ${side}: ${listTimes[side].at(-1)!.toFixed(2)} s`);
      }
    }
    await Promise.all([direct.close(), runtime.close(), lister.close()]);
    client.destroy();
    listClient.destroy();

    const ops = (rates: Rate[]) => median(rates.map((r) => r.opsPerSecond));
    const cpu = (rates: Rate[]) => median(rates.map((r) => r.cpuMicrosPerOp)).toFixed(0);
    const raw = { put: ops(puts.get('raw SDK')!), get: ops(gets.get('raw SDK')!) };
    const rows = contenders.map((c) => {
      const [p, g] = [puts.get(c.name)!, gets.get(c.name)!];
      const [pr, gr] = [(ops(p) / raw.put).toFixed(2), (ops(g) / raw.get).toFixed(2)];
      return `| ${c.name} | ${ops(p).toFixed(0)} | **${pr}** | ${cpu(p)} | ${ops(g).toFixed(0)} | **${gr}** | ${cpu(g)} |`;
    });
    const listStowage = median(listTimes.stowage);
    const listRaw = median(listTimes.raw);
    const table = [
      '## S3 backend: stowage against the raw AWS SDK, on radosgw',
      '',
      `Ceph radosgw 16.2 (memstore OSD) on 127.0.0.1, ${new Date().toISOString().slice(0, 10)}; 2 shared, noisy cores.`,
      `Command: \`npx tsx bench/main.ts s3\`. Medians of ${ROUNDS} alternating rounds; 2 KiB objects; ${CONCURRENCY} in flight.`,
      '',
      `| ${OPS} ops per round | put ops/s | put ratio to raw | put CPU µs/op | get ops/s | get ratio to raw | get CPU µs/op |`,
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `| getAllObjects of ${LIST_OBJECTS} objects | seconds | objects/s | ratio to raw |`,
      '|---|---|---|---|',
      `| stowage (ListObjectsV2 pages, ${CONCURRENCY} gets in flight, streamed) | ${listStowage.toFixed(2)} | ${(LIST_OBJECTS / listStowage).toFixed(0)} | **${(listRaw / listStowage).toFixed(2)}** |`,
      `| raw SDK (list every page, then ${CONCURRENCY} parallel gets + JSON.parse) | ${listRaw.toFixed(2)} | ${(LIST_OBJECTS / listRaw).toFixed(0)} | 1.00 |`,
      '',
      'Throughput on this shared machine swings by ±40% between rounds, so read the ratios and the CPU',
      'per operation (process CPU, all threads) rather than single numbers. The client CPU is a',
      'bottleneck at these rates (see shared/S3-SERVER.md). The runtime runs the SDK on its worker',
      'thread beside the main thread, and on a machine this loaded two runnable threads get a larger',
      'share of the cores: likely why it beats the single-threaded raw baseline. Its lower CPU per',
      'operation is measured, not explained.',
    ].join('\n');
    console.log(`\n${table}`);
    writeSection('s3', table);
  } finally {
    await radosgw.release();
  }
}
