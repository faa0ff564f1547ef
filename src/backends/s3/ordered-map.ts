/**
 * Maps an async source through `fn` with at most `limit` calls in flight, yielding results in
 * source order as they become ready. Memory stays bounded by `limit`: nothing is buffered beyond
 * the window, so a listing of any size streams. A rejection surfaces at its turn in the order.
 * Once the consumer stops (a `break`, a `return()`, or the rejection it was given), `signal` is
 * aborted for the calls still in the window: a listing abandoned or failed kept about
 * `listConcurrency` object GETs going, whose bodies were read and dropped.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
): AsyncIterable<R> {
  const window: Promise<R>[] = [];
  const stopped = new AbortController();
  const start = (item: T) => {
    const result = fn(item, stopped.signal);
    // Marked handled now: it is awaited at its turn, possibly after a neighbour has been awaited.
    result.catch(() => {});
    window.push(result);
  };
  try {
    for await (const item of source) {
      start(item);
      if (window.length >= limit) yield await window.shift()!;
    }
    while (window.length > 0) yield await window.shift()!;
  } finally {
    if (window.length > 0) stopped.abort();
  }
}
