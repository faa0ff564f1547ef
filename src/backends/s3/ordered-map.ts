/**
 * Maps an async source through `fn` with at most `limit` calls in flight, yielding results in
 * source order as they become ready. Memory stays bounded by `limit`: nothing is buffered beyond
 * the window, so a listing of any size streams. A rejection surfaces at its turn in the order.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncIterable<R> {
  const window: Promise<R>[] = [];
  const start = (item: T) => {
    const result = fn(item);
    // Marked handled now: it is awaited at its turn, possibly after a neighbour has been awaited.
    result.catch(() => {});
    window.push(result);
  };
  for await (const item of source) {
    start(item);
    if (window.length >= limit) yield await window.shift()!;
  }
  while (window.length > 0) yield await window.shift()!;
}
