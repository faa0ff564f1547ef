import type { RuntimeObserver } from '../runtime/observer.js';

/**
 * The lines `stowage serve` prints as its instances change, for an operator reading its output
 * (a terminal, the journal) rather than its metrics: an instance failing to start or going down,
 * and why; one left down by the restart limit; one back up; compactions starting and ending to
 * fail. Only changes are printed: a normal start prints nothing here, a start that keeps failing
 * the same way is printed once, and so is a compaction that keeps failing, not at every probe.
 * (A torn tail cut at an open is a process warning.)
 */
export class StateLog implements Partial<RuntimeObserver> {
  /** Instances printed as down and not yet as up. */
  private readonly down = new Set<string>();
  /** The start failure last printed for each instance, while it has not come up since. */
  private readonly startFailure = new Map<string, string>();
  /** Instances printed as failing to compact and not yet as compacting again. */
  private readonly compactionFailing = new Set<string>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  instanceStateChanged(store: string, _backend: string, up: boolean, reason: string, detail?: string): void {
    if (up) {
      this.startFailure.delete(store);
      if (this.down.delete(store)) this.print(`instance ${store} is up`);
      return;
    }
    // close() takes every instance down; serve says that itself.
    if (reason === 'closed') return;
    this.down.add(store);
    // A new worker knows nothing of its predecessor's compactions: the next probe reports afresh.
    this.compactionFailing.delete(store);
    const what = detail ? `: ${detail}` : '';
    if (reason === 'intensity') {
      this.print(
        `instance ${store} stays down: restarted more than supervisor.maxRestarts times within ` +
          `supervisor.withinMs (last failure ${detail ?? 'unknown'}); once that is mended, ` +
          `POST /api/v1/instances/${store}/restart (restartInstance()) brings it back`,
      );
    } else if (reason === 'initialize') {
      if (this.startFailure.get(store) === what) return;
      this.startFailure.set(store, what);
      this.print(
        `instance ${store} failed to start${what} (retried with backoff; printed again when it changes)`,
      );
    } else {
      this.print(`instance ${store} is down (${reason})${what}`);
    }
  }

  compactionChecked(store: string, _backend: string, failing: boolean, why?: string): void {
    if (failing && !this.compactionFailing.has(store)) {
      this.compactionFailing.add(store);
      this.print(
        `instance ${store}: compaction failing, its log grows until one succeeds: ${why ?? 'no reason given'}`,
      );
    } else if (!failing && this.compactionFailing.delete(store)) {
      this.print(`instance ${store}: compaction succeeded again`);
    }
  }

  private print(text: string): void {
    this.write(`${this.now().toISOString()} ${text}\n`);
  }
}
