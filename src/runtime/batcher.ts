import type { OpReply, OpRequest } from './protocol.js';

interface Pending {
  readonly op: OpRequest;
  readonly resolve: (reply: OpReply) => void;
  readonly reject: (error: unknown) => void;
}

export interface BatcherConfig {
  readonly maxBatchOps: number;
  readonly maxBatchesInFlight: number;
}

/** Sends one batch to the worker; resolves with one reply per operation, in order. */
export type SendBatch = (ops: OpRequest[]) => Promise<readonly OpReply[]>;

/**
 * Message-level group commit. A piscina task costs 35–45 µs whatever it carries, so operations
 * that become ready together travel in one message. While `maxBatchesInFlight` batches are out,
 * new operations accumulate and leave together when one returns, so batches grow with load and
 * stay single at low load. At most one batch is posted per event-loop turn: structured-cloning a
 * batch blocks the main thread, and posting them back to back would add those blocks up.
 */
export class Batcher {
  private pending: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly config: BatcherConfig,
    private readonly send: SendBatch,
    /** Rebuilds the error for an operation whose contents cannot be structured-cloned. */
    private readonly uncloneable: (op: OpRequest, error: Error) => Error,
  ) {}

  push(op: OpRequest): Promise<OpReply> {
    return new Promise<OpReply>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      this.schedule();
    });
  }

  /** Rejects operations not yet sent; those already sent are settled by their batch. */
  failPending(error: Error): void {
    for (const entry of this.pending.splice(0)) entry.reject(error);
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.config.maxBatchesInFlight || this.pending.length === 0)
      return;
    this.scheduled = true;
    // setImmediate, not a microtask: everything that becomes ready in this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= this.config.maxBatchesInFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.config.maxBatchOps);
    this.inFlight++;
    this.send(batch.map((entry) => entry.op)).then(
      (replies) => {
        batch.forEach((entry, i) => {
          entry.resolve(replies[i] as OpReply);
        });
        this.settled();
      },
      (error: unknown) => {
        if (error instanceof Error && error.name === 'DataCloneError') this.splitUncloneable(batch);
        else for (const entry of batch) entry.reject(error);
        this.settled();
      },
    );
    this.schedule();
  }

  private settled(): void {
    this.inFlight--;
    this.schedule();
  }

  /** One operation could not be cloned; fail it alone and send the rest again, ahead of newer work. */
  private splitUncloneable(batch: Pending[]): void {
    const retry: Pending[] = [];
    for (const entry of batch) {
      try {
        structuredClone(entry.op);
        retry.push(entry);
      } catch (error) {
        entry.reject(this.uncloneable(entry.op, error as Error));
      }
    }
    this.pending.unshift(...retry);
  }
}
