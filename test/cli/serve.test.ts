import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO, runCli, startServe } from '../helpers/cli.js';

const workdir = mkdtempSync(join(tmpdir(), 'stowage-serve-'));
after(() => rmSync(workdir, { recursive: true, force: true }));

function walkthroughCommands(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /<!-- walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readme);
  assert.ok(block, 'README has a walkthrough block');
  return block[1] as string;
}

test('npm start serves the embedded default, and the README walkthrough works against it', async () => {
  const server = await startServe(workdir);
  try {
    assert.match(server.output(), /file-[0-9a-f]{12}/, 'the banner names the file instance');
    assert.match(server.output(), /^ {2}metrics {2}http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    assert.equal(
      statSync(join(workdir, 'data')).mode & 0o777,
      0o700,
      'the default data directory is ./data, 0700',
    );
    const commands = walkthroughCommands()
      .replaceAll('http://127.0.0.1:9464', server.url)
      .split(/\n(?=curl)/);
    assert.equal(commands.length, 3, 'put, get, metrics');
    const run = (command: string) => execFileSync('bash', ['-c', command], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(run(commands[0] as string)), { key: 'default/demo' });
    assert.deepEqual(JSON.parse(run(commands[1] as string)).data, { hello: 'world' });
    const metrics = run(commands[2] as string);
    assert.match(metrics, /^stowage_operations_total\{[^}]*operation="put"[^}]*\} [1-9]/m);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  } finally {
    server.child.kill('SIGTERM');
  }
  const result = await server.stopped;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /SIGTERM: draining and closing\nstowage stopped/);
});

test('SIGTERM to `npm start` itself reaches the server, which drains and stops: nothing is left running', async () => {
  const dir = mkdtempSync(join(workdir, 'npm-'));
  const server = await startServe(dir, { STOWAGE__instances__0__dir: join(dir, 'data') }, 'npm');
  const group = server.child.pid as number;
  try {
    assert.match(server.output(), new RegExp(`${dir}/data`), 'the data went where the test put it');
    server.child.kill('SIGTERM');
    // The output closes only when every process holding it has exited: one left behind keeps it.
    const result = await Promise.race([server.stopped, sleep(15_000).then(() => undefined)]);
    assert.ok(result, 'the server was still running 15 s after npm was told to stop');
    assert.match(result.stdout, /SIGTERM: draining and closing\nstowage stopped/);
  } finally {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // The whole group has exited.
    }
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} to the process group of \`npm start\` (a terminal's Ctrl-C, systemd), which npm forwards again, still drains and stops cleanly`, async () => {
    const dir = mkdtempSync(join(workdir, 'group-'));
    const server = await startServe(dir, { STOWAGE__instances__0__dir: join(dir, 'data') }, 'npm');
    const group = server.child.pid as number;
    try {
      process.kill(-group, signal);
      const result = await Promise.race([server.stopped, sleep(15_000).then(() => undefined)]);
      assert.ok(result, `still running 15 s after ${signal}`);
      // Before, the forwarded copy counted as a second signal: no drain, exit 130, LOCK left.
      assert.match(result.stdout, new RegExp(`${signal}: draining and closing\nstowage stopped`));
      assert.equal(existsSync(join(dir, 'data', 'LOCK')), false, 'the lock was released');
    } finally {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // The whole group has exited.
      }
    }
  });
}

test('a second signal, a second or more after the first, ends a drain at once with 130', async () => {
  const dir = mkdtempSync(join(workdir, 'second-'));
  const server = await startServe(dir, { STOWAGE__instances__0__dir: join(dir, 'data') });
  const { port } = new URL(server.url);
  // An upload that stalls keeps the drain waiting for its deadline (5 s).
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('error', () => {});
  socket.write(
    'PUT /api/v1/instances/default/objects HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\n{',
  );
  await sleep(200);
  const started = performance.now();
  server.child.kill('SIGTERM');
  // Well past the 1 s in which a second copy is taken for the first: a loaded machine may run the
  // child's handler for the first signal late.
  await sleep(2_000);
  server.child.kill('SIGTERM');
  const result = await server.stopped;
  socket.destroy();
  assert.equal(result.code, 130, result.stdout);
  assert.ok(performance.now() - started < 4_700, 'it did not wait for the 5 s drain deadline');
  assert.doesNotMatch(result.stdout, /stowage stopped/);
});

test('the data written before a graceful stop is there after a restart', async () => {
  const server = await startServe(workdir);
  try {
    const response = await fetch(
      `${server.url}/api/v1/instances/default/objects/core/v1/ConfigMap/default/demo`,
    );
    assert.equal(response.status, 200);
    const missing = await fetch(
      `${server.url}/api/v1/instances/default/objects/core/v1/ConfigMap/default/absent`,
    );
    assert.equal(missing.status, 404);
    const bad = await fetch(`${server.url}/api/v1/instances/default/objects`, {
      method: 'PUT',
      body: '{"kind":"X"}',
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'STOWAGE_INVALID_OBJECT');
  } finally {
    server.child.kill('SIGINT');
  }
  assert.equal((await server.stopped).code, 0);
});

test('a torn tail cut at startup is reported on stderr, and the acknowledged objects before it are served', async () => {
  const dir = mkdtempSync(join(workdir, 'torn-'));
  const first = await startServe(dir);
  try {
    for (const name of ['a', 'b']) {
      const put = await fetch(`${first.url}/api/v1/instances/default/objects`, {
        method: 'PUT',
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
        }),
      });
      assert.equal(put.status, 201);
    }
  } finally {
    first.child.kill('SIGTERM');
  }
  assert.equal((await first.stopped).code, 0);
  const log = join(dir, 'data', 'log-0000000000.stow');
  truncateSync(log, statSync(log).size - 5);
  const second = await startServe(dir);
  try {
    const a = await fetch(`${second.url}/api/v1/instances/default/objects/core/v1/ConfigMap/default/a`);
    assert.equal(a.status, 200);
  } finally {
    second.child.kill('SIGTERM');
  }
  const result = await second.stopped;
  assert.equal(result.code, 0);
  assert.match(
    result.stderr,
    /\[STOWAGE_TORN_TAIL_DROPPED\] StowageWarning: file instance .*data: open dropped \d+ bytes of a torn tail at log-0000000000\.stow:\d+/,
  );
});

test('with metrics disabled, /metrics is no route and the banner does not offer it', async () => {
  const server = await startServe(workdir, { STOWAGE__metrics__enabled: 'false' });
  try {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.match(server.output(), /^ {2}health /m, 'the whole banner is out');
    assert.doesNotMatch(server.output(), /metrics/);
  } finally {
    server.child.kill('SIGTERM');
  }
  assert.equal((await server.stopped).code, 0);
});

test('a non-loopback bind without a token is refused with one line and exit code 2', async () => {
  const result = await runCli(['serve'], { cwd: workdir, env: { STOWAGE__server__host: '0.0.0.0' } });
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /server\.token/);
});

test('a port already taken is a typed error naming the address, exit 1', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const result = await runCli(['serve'], { cwd: workdir, env: { STOWAGE__server__port: String(port) } });
    assert.equal(result.code, 1, result.stderr);
    // It was Node's bare "Error: listen EADDRINUSE", with no code.
    assert.match(
      result.stderr,
      new RegExp(
        `HTTP server cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\(STOWAGE_HTTP_SERVER\\)$`,
        'm',
      ),
    );
  } finally {
    taken.close();
  }
});

test('with a token configured, a request without it gets 401, with it 200; /healthz stays open', async () => {
  const token = 'a-test-token-of-some-length';
  const server = await startServe(workdir, { STOWAGE__server__token: JSON.stringify(token) });
  try {
    assert.equal((await fetch(`${server.url}/api/v1/instances`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal(
      (await fetch(`${server.url}/api/v1/instances`, { headers: { authorization: 'Bearer wrong' } })).status,
      401,
    );
    assert.equal(
      (await fetch(`${server.url}/api/v1/instances`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
      200,
    );
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  } finally {
    server.child.kill('SIGTERM');
  }
  assert.equal((await server.stopped).code, 0);
});

test('stowage restart --server brings back an instance of a running serve (exit 0 once up); without --server it is refused before anything is opened', async () => {
  const dir = mkdtempSync(join(workdir, 'restart-'));
  const server = await startServe(dir);
  try {
    const up = await runCli(['restart', 'default', '--server', server.url], { cwd: dir });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, 'default up\n');
    const unknown = await runCli(['restart', 'file-000000000000', '--server', server.url], { cwd: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /\(STOWAGE_UNKNOWN_INSTANCE\)$/m);
    const elsewhere = mkdtempSync(join(workdir, 'restart-local-'));
    const local = await runCli(['restart', 'default'], { cwd: elsewhere });
    assert.equal(local.code, 2);
    assert.match(local.stderr, /restart acts on a running stowage serve: give its --server <url>/);
    assert.equal(existsSync(join(elsewhere, 'data')), false, 'no configuration was opened');
  } finally {
    server.child.kill('SIGTERM');
  }
  assert.equal((await server.stopped).code, 0);
});

test('under a low open-file limit, serve lowers maxConnections to what its instances leave, so idle connections cannot take a file instance down; refused ones are logged and counted', async () => {
  const dir = mkdtempSync(join(workdir, 'few-files-'));
  // 256 descriptors: 64 kept for the process and 16 for its one file instance leave 176 connections.
  const server = await startServe(dir, {}, 'node', 256);
  const held: Socket[] = [];
  try {
    assert.match(server.output(), /server\.maxConnections lowered to 176: this process may open 256 files/);
    const { port } = new URL(server.url);
    // Before: 400 idle connections made the instance's probe fail with EMFILE, and it stayed down.
    for (let i = 0; i < 300; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      held.push(socket);
    }
    await Promise.all(held.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    // Six probe rounds (every 1 s by default) with every connection the server takes held open.
    await sleep(6_500);
    for (const socket of held) socket.destroy();
    await sleep(500);
    assert.match(server.output(), /\d+ connection\(s\) refused: server\.maxConnections \(176\) were open/);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const dropped = Number(/^stowage_http_connections_dropped_total (\d+)/m.exec(metrics)?.[1]);
    assert.ok(dropped >= 300 - 176, `dropped ${dropped}`);
    assert.match(metrics, /^stowage_actor_restarts_total\{/m);
    assert.doesNotMatch(metrics, /^stowage_actor_restarts_total\{[^}]*\} [1-9]/m, 'no restart');
  } finally {
    for (const socket of held) socket.destroy();
    server.child.kill('SIGTERM');
  }
  assert.equal((await server.stopped).code, 0);
});
