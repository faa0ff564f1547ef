import { randomUUID } from 'node:crypto';
import { InvalidMachineIdError } from '../errors/index.js';

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
