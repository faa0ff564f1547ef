/**
 * Whether `promise` fulfils within `ms`: true if it does, false once `ms` pass first; rejects if it
 * rejects first. Its timer is cleared either way, so a deadline left behind holds no process open.
 * What the deadline stops waiting for goes on: the caller decides what to do about it.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
