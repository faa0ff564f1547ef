import { apiVersionOf, type GroupVersionKind, gvkString } from '../contract/gvk.js';
import type { CliTarget } from './target.js';

/** Suggestions shown at most, of the kinds an instance holds. */
const MAX_SUGGESTIONS = 3;

/**
 * For a get or list that found nothing: the kinds the instance does hold that the user may have
 * meant, as kubectl habits spell them (`configmaps`, `configmap`) or under another apiVersion
 * (`v1 Deployment` for `apps/v1 Deployment`). Stored kinds are exact, so such a command otherwise
 * reads as "nothing stored". Undefined when no stored kind is near.
 */
export async function kindHint(
  target: CliTarget,
  instance: string,
  asked: GroupVersionKind,
): Promise<string | undefined> {
  const wanted = asked.kind.toLowerCase();
  const near = (await target.kinds(instance)).filter(
    (stored) => gvkString(stored) !== gvkString(asked) && spellings(stored.kind).has(wanted),
  );
  if (near.length === 0) return undefined;
  const named = near.slice(0, MAX_SUGGESTIONS).map((stored) => `${apiVersionOf(stored)} ${stored.kind}`);
  return `kinds are singular, case-sensitive and go with their apiVersion; ${instance} holds ${named.join(', ')}`;
}

/** A kind's lower-case singular and the plurals Kubernetes resources commonly take. */
function spellings(kind: string): Set<string> {
  const lower = kind.toLowerCase();
  const forms = new Set([lower, `${lower}s`, `${lower}es`]);
  if (lower.endsWith('y')) forms.add(`${lower.slice(0, -1)}ies`);
  return forms;
}
