import { Worker } from 'node:worker_threads';

/**
 * The floor for part (a): a bare worker_threads echo. The worker answers each message with its id,
 * so a round trip costs exactly one structured clone each way plus the thread wake-ups.
 */
export class EchoWorker {
  private readonly worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (m) => parentPort.postMessage(m.id));`,
    { eval: true },
  );
  private readonly pending = new Map<number, () => void>();
  private nextId = 0;

  constructor() {
    this.worker.on('message', (id: number) => {
      const done = this.pending.get(id);
      this.pending.delete(id);
      done?.();
    });
  }

  roundTrip(payload: unknown): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, payload });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
