import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A single-node Ceph for tests and benchmarks: one monitor, one memstore OSD and radosgw, all on
 * 127.0.0.1, with no cephx and no systemd (the recipe in shared/S3-SERVER.md). Every daemon runs in
 * the foreground in its own session, and is stopped by the PID recorded here, never by name.
 */

const run = promisify(execFile);

/** Fixed test credentials: loopback only, never real secrets. */
export const TEST_ACCESS_KEY_ID = 'STOWAGETESTACCESSKEY1';
export const TEST_SECRET_ACCESS_KEY = 'stowage-test-secret-key-4f9c2a7e1b5d8036';

/** The binaries the recipe needs; each comes from a Debian package listed in .ci/apt-packages. */
const REQUIRED_BINARIES = ['monmaptool', 'ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph'];

/** The Ceph binaries this machine lacks (none when the packages in .ci/apt-packages are installed). */
export function missingCephBinaries(): string[] {
  return REQUIRED_BINARIES.filter((bin) => {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

export interface Gateway {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly endpoint: string;
}

export interface ClusterState {
  readonly dir: string;
  readonly conf: string;
  readonly monPid: number;
  readonly osdPid: number;
  readonly gateway: Gateway;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

function cephConf(dir: string, fsid: string): string {
  const modes = ['mon_client', 'client', 'service', 'cluster', 'mon_service', 'mon_cluster'];
  return [
    '[global]',
    `fsid = ${fsid}`,
    'mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]',
    'public_addr = 127.0.0.1',
    'cluster_addr = 127.0.0.1',
    'ms_bind_ipv6 = false',
    // Without these, radosgw hangs forever on "get_initial_auth_request returned -13".
    ...modes.map((m) => `ms_${m}_mode = crc secure`),
    'auth_cluster_required = none',
    'auth_service_required = none',
    'auth_client_required = none',
    // Cold start 12.9 s -> ~1.3 s.
    'paxos_propose_interval = 0.01',
    'paxos_min_wait = 0.001',
    'osd_pool_default_size = 1',
    'osd_pool_default_min_size = 1',
    'mon_allow_pool_size_one = true',
    'osd_pool_default_pg_num = 8',
    'osd_pool_default_pg_autoscale_mode = off',
    'osd_crush_chooseleaf_type = 0',
    'osd_objectstore = memstore',
    'memstore_device_bytes = 4294967296',
    `run_dir = ${dir}/run`,
    `admin_socket = ${dir}/run/$name.asok`,
    `log_file = ${dir}/log/$name.log`,
    `pid_file = ${dir}/run/$name.pid`,
    `mon_data = ${dir}/mon/$cluster-$id`,
    `osd_data = ${dir}/osd/$cluster-$id`,
    '',
  ].join('\n');
}

/** Starts a daemon detached (its own session, so a test's signals never reach it) and returns its PID. */
function startDaemon(dir: string, name: string, command: string, args: string[]): number {
  const log = openSync(join(dir, 'log', `${name}.stdout`), 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log); // The daemon holds its own copy.
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the daemon has not exited after `graceMs`. */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await waitUntil(`pid ${pid} to exit`, 5000, async () => !isAlive(pid));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A readiness check that can never succeed any more (the daemon died): stop waiting at once. */
class GaveUp extends Error {}

/**
 * Polls `check` (a readiness check on an external daemon) until it holds or `timeoutMs` passes.
 * Errors from the check count as "not yet", except GaveUp.
 */
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await check().catch((error: unknown) => {
      if (error instanceof GaveUp) throw error;
      return false;
    });
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A free loopback port, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ceph(conf: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ceph', ['-c', conf, '--connect-timeout', '5', ...args]);
  return stdout;
}

/**
 * Starts a radosgw on the cluster. `name` gives it its own admin socket and log, so several gateways
 * (the shared one, and one a fault test may stop and restart) can run on one cluster at once.
 */
export async function startGateway(
  state: Pick<ClusterState, 'dir' | 'conf'>,
  name: string,
  port?: number,
): Promise<Gateway> {
  const chosen = port ?? (await freePort());
  const pid = startDaemon(state.dir, `rgw.${name}`, 'radosgw', [
    '-c',
    state.conf,
    '-n',
    `client.rgw.${name}`,
    '-f',
    '--rgw_frontends',
    `beast endpoint=127.0.0.1:${chosen}`,
    '--rgw_thread_pool_size',
    '128',
  ]);
  try {
    await waitUntil(`radosgw ${name} on port ${chosen}`, 30_000, async () => {
      if (!isAlive(pid)) throw new GaveUp(`radosgw ${name} exited; see ${state.dir}/log`);
      return portOpen(chosen);
    });
  } catch (error) {
    await stopPid(pid);
    throw error;
  }
  return { name, pid, port: chosen, endpoint: `http://127.0.0.1:${chosen}` };
}

/** Builds a fresh cluster in a temporary directory and starts it; stop it with stopCluster(). */
export async function startCluster(): Promise<ClusterState> {
  for (const port of [3300, 6789]) {
    // Another cluster's monitor would answer our `ceph` commands and corrupt this one's setup.
    if (await portOpen(port))
      throw new Error(`a Ceph monitor (or something else) already listens on 127.0.0.1:${port}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'stowage-ceph-'));
  for (const sub of ['run', 'log', 'mon', 'osd/ceph-0']) mkdirSync(join(dir, sub), { recursive: true });
  const conf = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  writeFileSync(conf, cephConf(dir, fsid));
  const pids: number[] = [];
  try {
    const monmap = join(dir, 'monmap');
    const monAddress = '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]';
    await run('monmaptool', ['--create', '--clobber', '--fsid', fsid, '--addv', 'a', monAddress, monmap]);
    return await finishStart(dir, conf, monmap, pids);
  } catch (error) {
    for (const pid of pids.reverse()) await stopPid(pid);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function finishStart(dir: string, conf: string, monmap: string, pids: number[]): Promise<ClusterState> {
  await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap]);
  const monPid = startDaemon(dir, 'mon.a', 'ceph-mon', ['-c', conf, '-i', 'a', '-f']);
  pids.push(monPid);
  await waitUntil('ceph-mon', 30_000, async () => (await ceph(conf, 'mon', 'stat')).includes('quorum'));
  const uuid = randomUUID();
  const id = (await ceph(conf, 'osd', 'new', uuid)).trim();
  await run('ceph-osd', ['-c', conf, '-i', id, '--mkfs', '--osd-uuid', uuid]);
  const osdPid = startDaemon(dir, `osd.${id}`, 'ceph-osd', ['-c', conf, '-i', id, '-f']);
  pids.push(osdPid);
  await waitUntil('ceph-osd up', 30_000, async () => /1 up/.test(await ceph(conf, 'osd', 'stat')));
  const gateway = await startGateway({ dir, conf }, 'a');
  pids.push(gateway.pid);
  await run('radosgw-admin', [
    '-c',
    conf,
    'user',
    'create',
    '--uid=test',
    '--display-name=test',
    `--access-key=${TEST_ACCESS_KEY_ID}`,
    `--secret=${TEST_SECRET_ACCESS_KEY}`,
  ]);
  return {
    dir,
    conf,
    monPid,
    osdPid,
    gateway,
    accessKeyId: TEST_ACCESS_KEY_ID,
    secretAccessKey: TEST_SECRET_ACCESS_KEY,
  };
}

/** Stops the daemons by PID (gateway first, monitor last) and removes the cluster's directory. */
export async function stopCluster(state: ClusterState, extraGatewayPids: number[] = []): Promise<void> {
  for (const pid of [...extraGatewayPids, state.gateway.pid, state.osdPid, state.monPid]) await stopPid(pid);
  rmSync(state.dir, { recursive: true, force: true });
}
