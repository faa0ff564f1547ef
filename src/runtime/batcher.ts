import { InternalError } from '../errors/index.js';
import type { OpReply, OpRequest } from './protocol.js';
import { RequestNotSentError } from './worker-slot.js';

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
 * stay single at low load.
 *
 * A batch that is not full leaves at the end of the event-loop turn (setImmediate), so everything
 * that becomes ready in the turn joins it. A full batch (see adaptFullSize()) leaves at once, in the
 * middle of the turn: when a reply resolves hundreds of callers, they resubmit in one long turn, and
 * waiting for its end left the worker idle through all of it. Timestamps at 256 in flight showed
 * 1.7–2.2 ms between a reply arriving and the next batch leaving; posting each full batch as it
 * fills lets the worker start on it while this thread prepares the next (docs/architecture.md).
 */
export class Batcher {
  private pending: Pending[] = [];
  private inFlight = 0;
  private opsInFlight = 0;
  private scheduled = false;
  /** The size at which a batch counts as full and leaves at once; see adaptFullSize(). */
  private fullSize: number;
  /**
   * Set while a batch carrying a whole object is out: no other batch leaves until it returns, so
   * this thread clones one large object per round trip to the worker (see batchLength()).
   */
  private holdForObject = false;

  constructor(
    private readonly config: BatcherConfig,
    private readonly send: SendBatch,
  ) {
    this.fullSize = config.maxBatchOps;
  }

  push(op: OpRequest): Promise<OpReply> {
    return new Promise<OpReply>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (this.fullBatchReady()) this.flush();
      else this.schedule();
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
    if (this.holdForObject || this.inFlight >= this.config.maxBatchesInFlight || this.pending.length === 0)
      return;
    const batch = this.pending.splice(0, this.batchLength());
    const carriesObject = batch.some((entry) => entry.op.op === 'put');
    this.holdForObject = carriesObject;
    this.inFlight++;
    this.opsInFlight += batch.length;
    this.send(batch.map((entry) => entry.op)).then(
      (replies) => {
        this.adaptFullSize();
        this.opsInFlight -= batch.length;
        batch.forEach((entry, i) => {
          entry.resolve(replies[i] as OpReply);
        });
        this.settled(carriesObject);
      },
      (error: unknown) => {
        this.opsInFlight -= batch.length;
        // The caller's thread sends only strings, bytes and plain copies (plainCopy), so a message
        // that cannot be cloned is a bug here, not the caller's data; the worker did not receive it.
        const failure = error instanceof RequestNotSentError ? new InternalError(error.message) : error;
        for (const entry of batch) entry.reject(failure);
        this.settled(carriesObject);
      },
    );
    this.schedule();
  }

  private fullBatchReady(): boolean {
    const { maxBatchesInFlight } = this.config;
    return (
      this.pending.length >= this.fullSize &&
      this.inFlight < maxBatchesInFlight &&
      this.batchLength() >= this.fullSize
    );
  }

  /**
   * A batch is full at half the operations outstanding (sent or waiting) when a reply arrives,
   * capped at maxBatchOps, so at least two batches alternate: the worker stores one while this
   * thread resolves the other's callers and takes their next operations. With a fixed 64 and 64
   * callers, all 64 travelled as one batch and the two threads took turns; halving it took file
   * puts at 64 in flight from 38–40k to 50k/s against 45–54k/s on the direct path (scratch
   * harness, 3 rounds × 2); at 256 in flight it stays 64.
   */
  private adaptFullSize(): void {
    const outstanding = this.opsInFlight + this.pending.length;
    this.fullSize = Math.max(1, Math.min(this.config.maxBatchOps, Math.floor(outstanding / 2)));
  }

  /**
   * Up to maxBatchOps operations, but at most one put that carries an object to structured-clone:
   * those are the objects too large to encode on the caller's thread (INLINE_ENCODE_MAX_CHARS),
   * and cloning a 472 KiB CRD costs this thread about 1.5 ms. Such a batch also holds the next
   * one back until it returns (holdForObject), so this thread clones one such object at a time.
   * Several per batch more than doubled the event-loop delay p99 of benchmark (c): 7–9 ms instead
   * of about 3.
   */
  private batchLength(): number {
    const limit = Math.min(this.pending.length, this.config.maxBatchOps);
    let clones = 0;
    for (let i = 0; i < limit; i++) {
      if (this.pending[i]!.op.op === 'put' && ++clones > 1) return i;
    }
    return limit;
  }

  private settled(carriedObject: boolean): void {
    this.inFlight--;
    if (carriedObject) this.holdForObject = false;
    this.schedule();
  }
}
