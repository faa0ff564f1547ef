/** The process warnings with `code` emitted while `body` ran (Node emits them on the next tick). */
export async function warningsDuring(code: string, body: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const collect = (warning: Error & { code?: string }) => {
    if (warning.code === code) seen.push(warning);
  };
  process.on('warning', collect);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', collect);
  }
  return seen;
}
