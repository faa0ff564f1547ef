import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, release, totalmem, type } from 'node:os';

/**
 * The machine and software a measurement was taken on, so a reader can compare it with their own.
 * Shared by `npm run bench` (the head of docs/benchmarks.md) and the load-test reports.
 */

const ROOT = new URL('../', import.meta.url);

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly os: string;
  readonly kernel: string;
  readonly arch: string;
}

export interface Filesystem {
  readonly path: string;
  readonly type: string;
  readonly device: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    os: osName(),
    kernel: `${type()} ${release()}`,
    arch: process.arch,
  };
}

function osName(): string {
  try {
    const line = readFileSync('/etc/os-release', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('PRETTY_NAME='));
    return line ? line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') : type();
  } catch {
    return type();
  }
}

/** The filesystem holding `path` (what fsync costs depends on it): `df -PT`, or unknown. */
export function filesystemOf(path: string): Filesystem {
  const row = tryRun('df', ['-PT', path])?.split('\n')[1]?.split(/\s+/);
  return { path, type: row?.[1] ?? 'unknown', device: row?.[0] ?? 'unknown' };
}

function packageVersion(name: string): string {
  try {
    const path = new URL(`node_modules/${name}/package.json`, ROOT);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function tryRun(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
  } catch {
    return undefined;
  }
}

/** The first line of `<binary> --version` matching `pattern`, or "absent". */
function binaryVersion(binary: string, pattern: RegExp): string {
  const text = tryRun(binary, ['--version']);
  return text?.match(pattern)?.[1] ?? 'absent';
}

export interface Versions {
  readonly node: string;
  readonly stowage: string;
  readonly piscina: string;
  readonly awsSdkS3: string;
  readonly promClient: string;
  readonly hdrHistogram: string;
  readonly etcd: string;
  readonly radosgw: string;
}

export function versions(): Versions {
  const stowage = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string })
    .version;
  return {
    node: process.version,
    stowage,
    piscina: packageVersion('piscina'),
    awsSdkS3: packageVersion('@aws-sdk/client-s3'),
    promClient: packageVersion('prom-client'),
    hdrHistogram: packageVersion('hdr-histogram-js'),
    etcd: binaryVersion('etcd', /etcd Version:\s*(\S+)/i),
    radosgw: binaryVersion('radosgw', /ceph version (\S+)/i),
  };
}
