import type { RuntimeObserver } from '../runtime/observer.js';

/**
 * The lines `stowage serve` prints as its instances change, for an operator reading its output
 * (a terminal, the journal) rather than its metrics: an instance failing to start or going down,
 * and why; one left down by the restart limit; one back up; compactions starting and ending to
 * fail. Only changes are printed: a normal start prints nothing here, and a compaction that keeps
 * failing is printed once, not at every probe. (A torn tail cut at an open is a process warning.)
 */
export class StateLog implements Partial<RuntimeObserver> {
  /** Instances printed as down and not yet as up again. */
  private readonly down = new Set<string>();
  /** Instances printed as failing to compact and not yet as compacting again. */
  private readonly compactionFailing = new Set<string>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  instanceStateChanged(store: string, _backend: string, up: boolean, reason: string, detail?: string): void {
    if (up) {
      if (this.down.delete(store)) this.print(`instance ${store} is up again`);
      return;
    }
    // close() takes every instance down; serve says that itself.
    if (reason === 'closed') return;
    this.down.add(store);
    const what = detail ? `: ${detail}` : '';
    if (reason === 'intensity') {
      this.print(
        `instance ${store} stays down: restarted more than supervisor.maxRestarts times within ` +
          `supervisor.withinMs (last failure ${detail ?? 'unknown'}); a restart of the process brings it back`,
      );
    } else if (reason === 'initialize') {
      this.print(`instance ${store} failed to start${what}`);
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
