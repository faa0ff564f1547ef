import { registeredErrorCodes } from '../errors/index.js';

/**
 * The `reason` label of stowage_operation_failures_total: the error's stable code without its
 * `STOWAGE_` prefix, lower-cased (`STOWAGE_QUEUE_FULL` → `queue_full`), so an operator can look it
 * up in docs/errors.md. Only registered codes become label values; anything else (a code that
 * crossed a thread from a newer worker, a foreign error) is `other`, which keeps the label set
 * bounded by the codebase rather than by what fails.
 */
export const OTHER_REASON = 'other';

/**
 * Reasons of registered codes, each computed once: a rejection storm sends every refused operation
 * through failureReason(). Unknown codes are not cached, because a class registered later (by a
 * module imported later) must still get its own reason.
 */
const known = new Map<string, string>();

export function failureReason(code: string): string {
  const cached = known.get(code);
  if (cached !== undefined) return cached;
  if (!registeredErrorCodes().includes(code)) return OTHER_REASON;
  const reason = reasonOf(code);
  known.set(code, reason);
  return reason;
}

/** Every reason that can appear, for creating each label set at zero. */
export function failureReasons(): string[] {
  return [...registeredErrorCodes().map(reasonOf), OTHER_REASON];
}

function reasonOf(code: string): string {
  return code.replace(/^STOWAGE_/, '').toLowerCase();
}
