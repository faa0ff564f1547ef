import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServe } from '../helpers/cli.js';

/**
 * The durability claim made where users meet it: a `201` from `stowage serve` survives a SIGKILL of
 * the whole server process (its actor's worker thread dies with it), and a put that was not
 * answered is either all there or not there at all. The file backend's own crash test
 * (test/faults/file-crash.test.ts) kills a process that calls the backend directly; this one goes
 * through HTTP, the runtime's mailbox and batching, and the worker.
 */
const workdir = mkdtempSync(join(tmpdir(), 'stowage-serve-kill-'));
after(() => rmSync(workdir, { recursive: true, force: true }));

const KILLS = 3;
const WRITERS = 8;
/** Bounds each writer however long the server takes to be killed. */
const MAX_PUTS_PER_WRITER = 5000;

const objectsUrl = (base: string) => `${base}/api/v1/instances/default/objects`;

function configMap(name: string, value: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'load' },
    data: { value },
  });
}

/** The stored value of `name`, or undefined when the server answers 404. */
async function storedValue(base: string, name: string): Promise<string | undefined> {
  const response = await fetch(`${objectsUrl(base)}/core/v1/ConfigMap/load/${name}`);
  if (response.status === 404) return undefined;
  const body = await response.text();
  assert.equal(response.status, 200, `GET ${name}: ${response.status} ${body}`);
  return (JSON.parse(body) as { data: { value: string } }).data.value;
}

test(`every put \`stowage serve\` acknowledged survives SIGKILLs of the server under a write load (${KILLS} kills); an unanswered one is whole or absent`, async () => {
  const env = { STOWAGE__instances__0__dir: join(workdir, 'data') };
  const acknowledged = new Map<string, string>();
  /** Puts sent but not answered 201 when the server died: each may or may not have been stored. */
  const unanswered = new Map<string, string>();
  for (let kill = 0; kill < KILLS; kill++) {
    const server = await startServe(workdir, env);
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 0; i < MAX_PUTS_PER_WRITER && !killed; i++) {
        const name = `k${kill}-w${w}-${i}`;
        const value = randomBytes(512).toString('base64');
        unanswered.set(name, value);
        try {
          const response = await fetch(objectsUrl(server.url), {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: configMap(name, value),
          });
          await response.arrayBuffer();
          assert.equal(response.status, 201, `PUT ${name} before the kill`);
          unanswered.delete(name);
          acknowledged.set(name, value);
        } catch (error) {
          // Only the kill may end a writer: any other failure is the test's.
          if (!killed) throw error;
          return;
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    // Somewhere in the middle of the load, at a different moment each time.
    await sleep(400 + Math.floor(Math.random() * 600));
    killed = true;
    server.child.kill('SIGKILL');
    await Promise.all(writers);
    const result = await server.stopped;
    assert.equal(result.code, null, 'the server died of the signal');
  }
  assert.ok(acknowledged.size >= 100, `only ${acknowledged.size} puts were acknowledged before the kills`);

  // The next start takes over the dead process's lock and recovers the log.
  const server = await startServe(workdir, env);
  try {
    for (const [name, value] of acknowledged)
      assert.equal(await storedValue(server.url, name), value, `acknowledged ${name} is intact`);
    for (const [name, value] of unanswered) {
      const stored = await storedValue(server.url, name);
      assert.ok(stored === undefined || stored === value, `unanswered ${name} is whole or absent`);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.stopped;
  }
});
