/**
 * The longest delay a Node timer takes: setTimeout and setInterval treat anything longer as 1 ms
 * (with a TimeoutOverflowWarning), and AbortSignal.timeout refuses it. Every millisecond setting
 * is bounded by it, so a large value is refused at load instead of firing at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
