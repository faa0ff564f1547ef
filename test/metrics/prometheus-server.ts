import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A real Prometheus (Debian's /usr/bin/prometheus) on loopback, scraping one target every second,
 * with its own config and TSDB in a temporary directory. Stopped by its PID.
 */
export interface PrometheusOptions {
  readonly binary: string;
  /** `host:port` of the target, e.g. `127.0.0.1:40123`. */
  readonly target: string;
  readonly metricsPath: string;
  /** Absolute paths of rule files Prometheus should load and evaluate. */
  readonly ruleFiles: readonly string[];
}

export interface QueryResult {
  readonly status: string;
  readonly error?: string;
  readonly data?: {
    readonly resultType: string;
    readonly result: readonly { metric: Record<string, string>; value: [number, string] }[];
  };
}

export class PrometheusServer {
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // The tail is enough to explain a failure.
      this.log = (this.log + chunk).slice(-20_000);
    });
  }

  static async start(options: PrometheusOptions): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-prometheus-'));
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: options.ruleFiles,
      scrape_configs: [
        {
          job_name: 'stowage',
          scrape_interval: '1s',
          scrape_timeout: '1s',
          metrics_path: options.metricsPath,
          static_configs: [{ targets: [options.target] }],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      options.binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    await server.ready();
    return server;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything Prometheus logged recently, for failure messages. */
  get recentLog(): string {
    return this.log;
  }

  /** An instant query through the HTTP API, as Grafana would send it. */
  async query(promql: string): Promise<QueryResult> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    return (await response.json()) as QueryResult;
  }

  /** GET an API path and return its JSON `data`. */
  async api<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`);
    const body = (await response.json()) as { status: string; data: T };
    if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
    return body.data;
  }

  /**
   * Re-runs `check` until it returns a value or `timeoutMs` passes. Prometheus scrapes on its own
   * clock, so waiting for a scrape to land is a bounded poll of its API, never a fixed sleep.
   */
  async until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERM by PID, SIGKILL if it has not exited within 10 s; then removes its directory. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = once(child, 'exit');
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Resolves on Prometheus's own "ready" log line; rejects if it exits first. */
  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onData = (): void => {
        if (this.log.includes('Server is ready to receive web requests')) {
          this.child.stderr?.off('data', onData);
          this.child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null): void => {
        reject(new Error(`prometheus exited with ${code} before it was ready:\n${this.log}`));
      };
      this.child.stderr?.on('data', onData);
      this.child.once('exit', onExit);
    });
  }
}

/** A port the kernel just handed out on loopback; Prometheus binds it right after. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
