import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, type LoadResult } from './file-load.js';

/** A single-node etcd (Debian `etcd-server`) on loopback with a throwaway data directory. */
export interface Etcd {
  readonly url: string;
  readonly version: string;
  /** CPU seconds the etcd process has used so far (user + system, from /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Starts etcd, or returns undefined when the binary is not installed. */
export async function startEtcd(): Promise<Etcd | undefined> {
  const probe = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const version = /etcd Version: (\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
  const dataDir = await mkdtemp(join(tmpdir(), 'stowage-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const child: ChildProcess = spawn(
    'etcd',
    [
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await healthy(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error('etcd did not become healthy within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, version, cpuSeconds: () => processCpuSeconds(child.pid as number), stop };
}

/** utime + stime of a process, fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`);
    return response.ok && ((await response.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** Puts of `payload` through etcd's v3 JSON gateway over keep-alive connections, one per worker. */
export async function etcdPuts(
  etcd: Etcd,
  concurrency: number,
  durationMs: number,
  payload: Buffer,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const value = payload.toString('base64');
  const { hostname, port } = new URL(etcd.url);
  const put = (key: string) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ key: Buffer.from(key).toString('base64'), value });
      const req = request(
        {
          agent,
          hostname,
          port,
          method: 'POST',
          path: '/v3/kv/put',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`etcd put: HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    // 16 keys per worker, as stowage's contenders have.
    return await closedLoop(concurrency, durationMs, (worker, i) => put(`/bench/${worker}/${i % 16}`));
  } finally {
    agent.destroy();
  }
}
