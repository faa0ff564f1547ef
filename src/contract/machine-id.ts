import { randomUUID } from 'node:crypto';
import { InvalidMachineIdError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A stable, unique id for the host or process that owns the writes (Go: `NewMachineId()`).
 * Backends record it in their ownership locks so a second writer is fenced off.
 */
export class MachineId {
  private constructor(private readonly value: string) {}

  static generate(): MachineId {
    return new MachineId(randomUUID());
  }

  /** Accepts the canonical lowercase UUID form that `toString()` produces; uppercase is folded. */
  static parse(text: string): MachineId {
    const normalized = typeof text === 'string' ? text.trim().toLowerCase() : '';
    if (!UUID.test(normalized)) {
      throw new InvalidMachineIdError(`machine id must be a UUID, got ${JSON.stringify(String(text))}`);
    }
    return new MachineId(normalized);
  }

  equals(other: MachineId): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}

/**
 * The machine a provider runs as, checked at each initialize(): `given` must be a MachineId and,
 * once one is set (`current`), the same one. A provider's backends hold their locks for one
 * machine; a second id would reopen them as another at the next restart. A MachineId from another
 * copy of this module (a CommonJS and an ES module copy in one process) is taken by its value.
 */
export function sameMachine(current: MachineId | undefined, given: unknown): MachineId {
  const isMachineId =
    given instanceof MachineId ||
    (typeof given === 'object' &&
      given !== null &&
      typeof (given as Partial<MachineId>).equals === 'function');
  if (!isMachineId) {
    throw new InvalidMachineIdError(
      `initialize() needs a MachineId (MachineId.generate() or MachineId.parse()), got ${quoted(given)}`,
    );
  }
  const machine = MachineId.parse(String(given));
  if (current && !current.equals(machine)) {
    throw new InvalidMachineIdError(
      `this provider was initialized as machine ${current}; it cannot also be ${machine}: close it and create another provider`,
    );
  }
  return machine;
}
