import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LoadReport } from '../../scripts/load/report/model.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface LoadRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: LoadReport;
  readonly html: string;
  /** What /metrics answered while the run was going. */
  readonly scrape: { status: number; body: string } | undefined;
}

/**
 * Runs `scripts/load/main.ts` as a child process, exactly as `npm run loadtest` does, writing its
 * report to `json`. As soon as the child prints its metrics URL, scrapes it once: the server is up
 * from that line until the report is written, so the scrape happens while the load runs.
 */
export function runLoadtest(args: readonly string[], json: string): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/load/main.ts', ...args, '--out', json, '--metrics-port', '0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let scrape: Promise<LoadRun['scrape']> | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1];
      if (url && !scrape) {
        scrape = fetch(url).then(
          async (res) => ({ status: res.status, body: await res.text() }),
          () => undefined,
        );
      }
    });
    child.once('error', reject);
    child.once('exit', async (code) => {
      try {
        const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
        const html = readFileSync(json.replace(/\.json$/, '.html'), 'utf8');
        resolve({ code, stdout, stderr, report, html, scrape: await scrape });
      } catch (error) {
        reject(new Error(`loadtest exited ${code} without a report: ${(error as Error).message}\n${stderr}`));
      }
    });
  });
}
