import { ListingExpiredError } from '../errors/index.js';

/**
 * Listings an instance keeps open at once through the runtime. Each holds its backend's iterator
 * in the worker between pages (a file instance's keeps its own copy of the GVK's keys).
 */
export const MAX_OPEN_LISTINGS = 64;

/**
 * How long a listing's consumer must have gone without pulling an item before a listing waiting
 * for a slot may close it. An iterator abandoned without return() never pulls again.
 */
export const LISTING_IDLE_EVICT_MS = 1_000;

/** One listing's hold on a slot; the runtime's pager updates it around each page. */
export interface ListingLease {
  /** The worker's cursor for the next page, once the first page has returned one. */
  cursor: string | null;
  /** True while a page is being fetched: a listing in a fetch is never idle. */
  fetching: boolean;
  /** When the consumer last pulled an item or a page arrived (performance.now()). */
  idleSince: number;
  /** Set when the slot was taken back; the next page fails with this error. */
  expired: ListingExpiredError | null;
}

interface Waiter {
  readonly resolve: (lease: ListingLease) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Admission of listings on one instance, on the main thread. Up to `limit` run at once; another
 * waits for one to finish. A caller that abandons an iterator without return() would hold its
 * slot for ever, so a waiter may take back the slot of the listing idle longest, once it has been
 * idle `idleEvictMs`: that listing fails with ListingExpiredError on its next page. Listings being
 * read are never closed under their readers, however many there are.
 */
export class ListingSlots {
  private readonly leases = new Set<ListingLease>();
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Closes an evicted listing's cursor in the worker. */
    private readonly cancel: (cursor: string) => void,
    private readonly limit = MAX_OPEN_LISTINGS,
    private readonly idleEvictMs = LISTING_IDLE_EVICT_MS,
  ) {}

  acquire(): Promise<ListingLease> {
    if (this.leases.size < this.limit && this.waiters.length === 0) return Promise.resolve(this.grant());
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.evictIdle();
    });
  }

  /** Gives the slot back (at the end of a listing, or its abandonment); idempotent. */
  release(lease: ListingLease): void {
    if (!this.leases.delete(lease)) return;
    const next = this.waiters.shift();
    if (next) next.resolve(this.grant());
    if (this.waiters.length === 0) this.stopTimer();
  }

  /** Fails every waiting listing (the provider is closing). */
  rejectWaiting(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.stopTimer();
  }

  private grant(): ListingLease {
    const lease: ListingLease = {
      cursor: null,
      fetching: false,
      idleSince: performance.now(),
      expired: null,
    };
    this.leases.add(lease);
    return lease;
  }

  /** Takes back slots idle long enough, one per waiter; checks again when the next could be. */
  private evictIdle(): void {
    this.stopTimer();
    const now = performance.now();
    while (this.waiters.length > 0) {
      const idlest = this.idlest();
      if (!idlest || now - idlest.idleSince < this.idleEvictMs) break;
      idlest.expired = new ListingExpiredError(
        `the listing was closed: ${this.limit} listings were open on this instance, another was waiting, and this one had not been read for ${this.idleEvictMs} ms`,
        { limit: this.limit },
      );
      if (idlest.cursor !== null) this.cancel(idlest.cursor);
      this.release(idlest);
    }
    if (this.waiters.length === 0) return;
    const idlest = this.idlest();
    const wait = idlest ? Math.max(1, this.idleEvictMs - (now - idlest.idleSince)) : this.idleEvictMs;
    this.timer = setTimeout(() => this.evictIdle(), wait);
  }

  private idlest(): ListingLease | undefined {
    let idlest: ListingLease | undefined;
    for (const lease of this.leases) {
      if (!lease.fetching && (!idlest || lease.idleSince < idlest.idleSince)) idlest = lease;
    }
    return idlest;
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
