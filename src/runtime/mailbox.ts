import PQueue from 'p-queue';
import { QueueFullError, QueueTimeoutError } from '../errors/index.js';
import { settlesWithin } from './settles-within.js';

export interface MailboxConfig {
  readonly capacity: number;
  readonly policy: 'reject' | 'wait';
  readonly waitMs: number;
  readonly concurrency: number;
}

interface Waiter {
  readonly admit: () => void;
  readonly fail: (error: Error) => void;
}

/** Set when the mailbox is cleared, so a dropped task rejects with the typed reason, not AbortError. */
interface Entry {
  error?: Error;
}

/**
 * One instance's bounded mailbox: a p-queue whose concurrency is the number of operations in
 * flight in the worker, behind an admission check that keeps the number *waiting* at or under
 * `capacity`. Memory therefore stays bounded under any offered load. Admission is FIFO: while
 * anyone waits for room, newcomers queue behind them, so submission order is preserved.
 */
export class Mailbox {
  private readonly queue: PQueue;
  private readonly waiters: Waiter[] = [];
  private readonly queued = new Set<Entry>();
  /** Room promised to woken waiters that have not enqueued yet. */
  private reserved = 0;

  constructor(
    private readonly config: MailboxConfig,
    private readonly instance: string,
    private readonly onRejected: () => void,
  ) {
    this.queue = new PQueue({ concurrency: config.concurrency });
  }

  /** Operations waiting (admitted or waiting for admission), not yet dispatched. */
  get depth(): number {
    return this.queue.size + this.waiters.length + this.reserved;
  }

  get inFlight(): number {
    return this.queue.pending;
  }

  get capacity(): number {
    return this.config.capacity;
  }

  /**
   * Runs `task` once admitted and a concurrency slot is free; throws QueueFullError/QueueTimeoutError when
   * refused. A task `admitted` already (a listing's later page: its first page was admitted, and
   * listing slots bound how many run) skips the capacity check and waits only for a slot.
   */
  submit<T>(task: () => Promise<T>, admitted = false): Promise<T> {
    // The check and the enqueue happen in one synchronous step, so a burst cannot overshoot. Room
    // promised to a woken waiter that has not enqueued yet (reserved) is its, not a newcomer's.
    if (
      admitted ||
      (this.waiters.length === 0 && this.reserved === 0 && this.queue.size < this.config.capacity)
    ) {
      return this.enqueue(task);
    }
    return this.admit().then(() => {
      this.reserved--;
      return this.enqueue(task);
    });
  }

  /** Rejects everything waiting with `error`; operations already in flight are the worker's to settle. */
  rejectQueued(error: Error): void {
    for (const entry of this.queued) entry.error = error;
    this.queued.clear();
    this.queue.clear();
    for (const waiter of this.waiters.splice(0)) waiter.fail(error);
  }

  /** Resolves true once nothing is queued or in flight, false if `deadlineMs` passes first. */
  async drain(deadlineMs: number): Promise<boolean> {
    if (this.queue.size === 0 && this.queue.pending === 0 && this.waiters.length === 0) return true;
    const idle = (async () => {
      while (this.depth > 0 || this.queue.pending > 0) await this.queue.onIdle();
    })();
    return settlesWithin(idle, deadlineMs);
  }

  private async enqueue<T>(task: () => Promise<T>): Promise<T> {
    const entry: Entry = {};
    this.queued.add(entry);
    try {
      return await this.queue.add(() => {
        this.queued.delete(entry);
        this.wakeOne();
        return task();
      });
    } catch (error) {
      throw entry.error ?? error;
    }
  }

  private admit(): Promise<void> {
    if (this.config.policy === 'reject') {
      this.onRejected();
      return Promise.reject(
        new QueueFullError(`mailbox of ${this.instance} is full (${this.config.capacity} waiting)`, {
          instance: this.instance,
          capacity: this.config.capacity,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        this.onRejected();
        reject(
          new QueueTimeoutError(`mailbox of ${this.instance} stayed full for ${this.config.waitMs} ms`, {
            instance: this.instance,
            waitMs: this.config.waitMs,
          }),
        );
      }, this.config.waitMs);
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** A queued task just started, so one place is free: hand it to the longest waiter. */
  private wakeOne(): void {
    if (this.queue.size + this.reserved >= this.config.capacity) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    this.reserved++;
    waiter.admit();
  }
}
