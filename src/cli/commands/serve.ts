import { openStowage } from '../../app/open-stowage.js';
import type { StowageConfig } from '../../config/schema.js';
import { checkBind } from '../../server/auth.js';
import { connectionBudget, openFileLimit, reservedDescriptors } from '../../server/connection-budget.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS, startServer } from '../../server/http-server.js';
import { readiness } from '../../server/readiness.js';

const STATUS_LINE_MS = 5000;

/**
 * Room for the largest object the limits allow, sent as JSON that need not be canonical (indented,
 * escaped): twice its canonical size, and never below the default.
 */
export function maxBodyBytesFor(maxObjectBytes: number | undefined): number {
  return Math.max(DEFAULT_MAX_BODY_BYTES, 2 * (maxObjectBytes ?? 0));
}

/**
 * A signal that comes again within this long of the first is the same one delivered twice: a
 * terminal's Ctrl-C, `kill -- -<group>` and systemd signal the whole process group, so under
 * `npm start` the server gets the signal and npm forwards it too. Taken for a second signal, it
 * skipped the drain and left `LOCK` behind.
 */
const REPEATED_SIGNAL_MS = 1_000;

/**
 * Resolves with the first SIGTERM or SIGINT; a later one, past REPEATED_SIGNAL_MS, exits at once
 * (130). One listener for all of them, in place from the start: with the listener for the second
 * added only once the first had been handled, a second that came in between found none and killed
 * the process where it stood.
 */
function onShutdownSignals(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let firstAt: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      const now = performance.now();
      if (firstAt === undefined) {
        firstAt = now;
        resolve(signal);
      } else if (now - firstAt >= REPEATED_SIGNAL_MS) {
        process.exit(130);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** How often at most a line reports connections refused at the cap. */
const DROPPED_LINE_MS = 60_000;

/**
 * A line for the first connection refused at the cap, then at most one a minute with how many were
 * refused since the last: an operator at the limit had no sign of it (the metric counts each).
 */
export function droppedConnectionsLog(
  maxConnections: number,
  log: (line: string) => void,
  windowMs = DROPPED_LINE_MS,
): () => void {
  let since = 0;
  let lineAt = Number.NEGATIVE_INFINITY;
  let flushPending = false;
  const flush = () => {
    flushPending = false;
    if (since === 0) return;
    log(
      `${new Date().toISOString()} ${since} connection(s) refused: server.maxConnections (${maxConnections}) were open\n`,
    );
    since = 0;
    lineAt = performance.now();
  };
  return () => {
    since++;
    const wait = lineAt + windowMs - performance.now();
    if (wait <= 0) flush();
    // The rest of a burst is reported when its minute is up: before, it waited for a drop after it.
    else if (!flushPending) {
      flushPending = true;
      setTimeout(flush, wait).unref();
    }
  };
}

/**
 * `stowage serve`: the runtime plus its HTTP endpoints, until SIGTERM or SIGINT, which drain the
 * mailboxes and close the backends before exiting 0. A second signal, a second or more after the
 * first, exits at once (130).
 */
export async function serveCommand(config: StowageConfig): Promise<number> {
  checkBind(config.server.host, config.server.token);
  const out = process.stdout;
  // On a terminal, a line first clears the status line the ticker below keeps redrawing.
  const log = (line: string) => out.write(out.isTTY ? `\r\x1b[K${line}` : line);
  const stowage = await openStowage(config, { log });
  let server: Awaited<ReturnType<typeof startServer>>;
  const fileLimit = openFileLimit();
  const budget = connectionBudget(
    config.server.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    fileLimit,
    reservedDescriptors(config.instances),
  );
  if (budget.lowered) {
    log(
      `server.maxConnections lowered to ${budget.maxConnections}: this process may open ${fileLimit} files (ulimit -n), and its instances need room beside its connections; raise the limit to serve more\n`,
    );
  }
  try {
    server = await startServer({
      provider: stowage.provider,
      secrets: stowage.secrets,
      registry: stowage.metrics?.registry,
      host: config.server.host,
      port: config.server.port,
      maxConnections: budget.maxConnections,
      onConnectionDropped: droppedConnectionsLog(budget.maxConnections, log),
      token: config.server.token,
      maxBodyBytes: maxBodyBytesFor(config.limits.maxObjectBytes),
    });
  } catch (error) {
    await stowage.close();
    throw error;
  }
  // Before the banner: a supervisor may take it as the sign of readiness and signal at once, and
  // until a listener exists SIGTERM ends the process where it stands, with no drain.
  const signalled = onShutdownSignals();
  out.write(
    `stowage serving ${stowage.provider.instances().length} instance(s) as machine ${stowage.machineId}\n`,
  );
  for (const { name } of readiness(stowage.provider).instances) {
    const settings = config.instances[stowage.provider.instances().indexOf(name)];
    out.write(`  ${name}  ${settings?.kind === 'file' ? settings.dir : settings?.kind}\n`);
  }
  out.write(`  api      ${server.url}/api/v1/instances\n`);
  if (stowage.metrics) out.write(`  metrics  ${server.url}/metrics\n`);
  out.write(`  health   ${server.url}/healthz  ${server.url}/readyz\n`);

  const ticker = out.isTTY
    ? setInterval(() => {
        const line = readiness(stowage.provider)
          .instances.map(
            (i) => `${i.name} ${i.up ? 'up' : 'DOWN'} ${(i.mean_persist_latency * 1000).toFixed(2)}ms`,
          )
          .join('  ');
        out.write(`\r\x1b[K${new Date().toISOString().slice(11, 19)} ${line}`);
      }, STATUS_LINE_MS)
    : undefined;
  ticker?.unref();

  const signal = await signalled;
  if (ticker) clearInterval(ticker);
  out.write(`${out.isTTY ? '\n' : ''}${signal}: draining and closing\n`);
  // The HTTP side gets the same deadline as the mailboxes; connections still open past it are cut.
  await server.close(config.shutdown.drainDeadlineMs);
  await stowage.close();
  const stuck = stowage.provider.workersLeftRunning();
  if (stuck.length > 0) {
    // Node waits for every thread at exit, process.exit() included, so nothing but a signal that
    // cannot be caught ends the process; what was acknowledged is durable already.
    out.write(
      `stowage stopped, but the worker of ${stuck.join(', ')} is blocked in a system call and cannot be stopped: ending with SIGKILL\n`,
    );
    process.kill(process.pid, 'SIGKILL');
  }
  out.write('stowage stopped\n');
  return 0;
}
