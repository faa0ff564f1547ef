import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

export const REPO = new URL('../../', import.meta.url).pathname;
const BIN = `${REPO}src/cli/bin.ts`;
/** Resolved here, so the CLI can run with any working directory. */
const TSX = import.meta.resolve('tsx');

/** Starts the CLI as runCli does, for a test that handles the process itself. */
export function spawnCli(args: readonly string[], cwd: string): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  /** stdout as it came, for output that is not UTF-8 (a secret's value). */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

/** Runs the CLI as a user would (a separate process, TypeScript through tsx). */
export function runCli(
  args: readonly string[],
  /** `input` null leaves stdin open, as a terminal's is, for at most `openStdinMs`. */
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string | Buffer | null; openStdinMs?: number } = {
    cwd: REPO,
  },
): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.input !== null) {
    child.stdin.end(options.input ?? '');
    return collect(child);
  }
  // Ended after a while all the same, so a command that does wait on stdin fails its test, not the run.
  const timer = setTimeout(() => child.stdin.end(), options.openStdinMs ?? 10_000);
  return collect(child).finally(() => clearTimeout(timer));
}

export function collect(child: ChildProcess): Promise<CliResult> {
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const bytes = Buffer.concat(stdout);
      resolve({ code, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr });
    });
  });
}

/** Starts `stowage serve` and resolves with its base URL once the banner names it. */
export async function startServe(
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  /**
   * `npm start` in the repository (which fixes the working directory there, so `env` should
   * place the data elsewhere), in a process group of its own for the caller to clean up.
   */
  via: 'node' | 'npm' = 'node',
  /** Run under `ulimit -n` this many (soft and hard) open files. */
  openFiles?: number,
): Promise<{ url: string; child: ChildProcess; output: () => string; stopped: Promise<CliResult> }> {
  const options: SpawnOptions = {
    cwd: via === 'npm' ? REPO : cwd,
    env: { ...process.env, STOWAGE__server__port: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: via === 'npm',
  };
  const node = [process.execPath, '--import', TSX, BIN, 'serve'];
  const child =
    via === 'npm'
      ? spawn('npm', ['start'], options)
      : openFiles === undefined
        ? spawn(node[0] as string, node.slice(1), options)
        : spawn('bash', ['-c', `ulimit -n ${openFiles} && exec "$@"`, 'bash', ...node], options);
  const stopped = collect(child);
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      seen += chunk;
      // Once the whole banner is out, its last line the health one: it is written a line at a
      // time, and a loaded CI machine delivered the api line without the metrics line after it.
      const match = /api\s+(http:\/\/[^/\s]+)\//.exec(seen);
      if (match && /^ {2}health /m.test(seen)) resolve(match[1] as string);
    });
    child.on('close', (code) => reject(new Error(`serve exited ${code} before it was ready: ${seen}`)));
  });
  return { url, child, output: () => seen, stopped };
}
