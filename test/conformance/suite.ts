import { describe, test } from 'node:test';
import { basicCases } from './cases-basic.js';
import { durabilityCases } from './cases-durability.js';
import { isolationCases } from './cases-isolation.js';
import type { ConformanceTarget } from './target.js';

/** One behaviour every backend, direct or through the runtime, must show (DESIGN.md §4). */
export interface ConformanceCase {
  readonly name: string;
  /** Cases that need durable storage run only where the target has it. */
  readonly skipUnless?: (target: ConformanceTarget) => boolean;
  run(target: ConformanceTarget): Promise<void>;
}

export const conformanceCases: readonly ConformanceCase[] = [
  ...basicCases,
  ...isolationCases,
  ...durabilityCases,
];

/** Registers the whole suite as node:test tests for one target. */
export function describeConformance(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, () => {
    for (const c of conformanceCases) {
      if (c.skipUnless && !c.skipUnless(target)) continue;
      test(c.name, () => c.run(target));
    }
  });
}
