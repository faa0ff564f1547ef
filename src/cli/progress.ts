/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. On a non-TTY stderr it prints
 * nothing until `done()`, which always prints a final summary line.
 */
export class Progress {
  private count = 0;
  private lastDraw = 0;
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  tick(total?: number): void {
    this.count++;
    const now = performance.now();
    if (!this.stream.isTTY || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const bar = total ? `[${'#'.repeat(Math.round((this.count / total) * 30)).padEnd(30)}] ` : '';
    this.stream.write(`\r${this.label} ${bar}${this.count}${total ? `/${total}` : ''} objects`);
  }

  done(summary: string): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`${this.stream.isTTY ? '\r\x1b[K' : ''}${this.label}: ${summary} in ${seconds}s\n`);
  }
}
