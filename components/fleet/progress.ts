// The live display: on a terminal, one line per node redrawn in place (at most ten times a second, and once a
// second for the elapsed times); elsewhere (a log, a pipe, CI) one plain line each time a node changes state.
import { NodeView, progressFrame, progressLine } from "./format";

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

export class ProgressDisplay {
  private drawn = 0;
  private ticker?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;
  private readonly width: number;

  constructor(
    private readonly out: ProgressStream,
    private readonly title: string,
    private readonly views: NodeView[],
    private readonly now: () => number = Date.now,
  ) {
    this.width = Math.max(...views.map((v) => v.stack.length), 4);
  }

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  start(): void {
    if (!this.tty) return;
    this.redraw();
    this.ticker = setInterval(() => this.redraw(), 1000);
    // The display must not keep the process alive once the run is over.
    this.ticker.unref();
  }

  /** A node's counters changed (`stateChanged`: it started, ended or was skipped). */
  changed(view: NodeView, stateChanged: boolean): void {
    if (!this.tty) {
      if (stateChanged) this.out.write(`${progressLine(view, this.width, this.now())}\n`);
      return;
    }
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.redraw();
    }, 100);
  }

  /** A line of its own above the display (a notice), kept when the display is redrawn. */
  notice(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  stop(): void {
    clearInterval(this.ticker);
    clearTimeout(this.pending);
    this.pending = undefined;
    if (this.tty) this.redraw();
  }

  private clear(): void {
    // Back to the first line of the last frame, then erase to the end of the screen.
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    const columns = this.out.columns ?? 120;
    const lines = progressFrame(this.title, this.views, (this.out.rows ?? 40) - 1, this.now()).map((l) => (l.length >= columns ? l.slice(0, columns - 1) : l));
    this.clear();
    this.out.write(lines.map((l) => `${l}\n`).join(""));
    this.drawn = lines.length;
  }
}
