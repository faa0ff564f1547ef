import { describe, test } from 'node:test';
import { basicCases } from './cases-basic.js';
import { rawCases } from './cases-raw.js';
import { rotationCases } from './cases-rotation.js';
import { tamperCases } from './cases-tamper.js';
import type { SecretTarget } from './target.js';

/** One behaviour of the secret provider, run against every storage target. */
export interface SecretCase {
  readonly name: string;
  /** Cases that need durable or visible storage run only where the target has it. */
  readonly skipUnless?: (target: SecretTarget) => boolean;
  run(target: SecretTarget): Promise<void>;
}

export const secretCases: readonly SecretCase[] = [
  ...basicCases,
  ...tamperCases,
  ...rotationCases,
  ...rawCases,
];

/**
 * Registers the cases as node:test tests for one target. `only` picks a subset by case name, for
 * targets that cost seconds per case (worker start-up) and whose other cases another target covers.
 */
export function describeSecretCases(target: SecretTarget, only?: RegExp): void {
  describe(`secrets: ${target.name}`, () => {
    for (const c of secretCases) {
      if (c.skipUnless && !c.skipUnless(target)) continue;
      if (only && !only.test(c.name)) continue;
      test(c.name, () => c.run(target));
    }
  });
}
