import type { z } from 'zod';
import { unknownKeyShown } from './shown-key.js';

/** A validation failure as an error message reports it. */
export interface ReportedIssue {
  /** The field, an unknown one included; shown through shownPath(). */
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The issue to report of a failed validation. A misspelled field also makes the real one
 * "missing": the unknown field explains both, so it goes first. zod's own message for an unknown
 * key quotes the key in full, and a key can be a secret that became one (shownKey), so that
 * message is rewritten with the key as shownKey() shows it.
 */
export function reportedIssue(issues: readonly z.core.$ZodIssue[]): ReportedIssue {
  const issue = (issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]) as z.core.$ZodIssue;
  if (issue.code !== 'unrecognized_keys') return { path: issue.path, message: issue.message };
  return {
    path: [...issue.path, issue.keys[0] as string],
    message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(unknownKeyShown).join(', ')}`,
  };
}
