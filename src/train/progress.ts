/**
 * A text progress bar for long work (training epochs, benchmarks): steps done, a bar, the
 * rate, the elapsed time and an ETA, plus any live values (loss). On a terminal it redraws one
 * line; elsewhere (a log file, CI) it prints a line every `logEvery` updates and at the end.
 */
import { checkBoolean, checkNumber, checkOptions, describe } from '../core/options.js';

export interface ProgressOptions {
  /** Where lines go (default: process.stderr in Node, console.log elsewhere). */
  write?: (s: string) => void;
  /** Redraw in place (default: whether stderr is a terminal). */
  tty?: boolean;
  width?: number;
  /** Non-terminal output: print every n updates (default: about 10 lines per bar). */
  logEvery?: number;
  /** What a step is called in the rate ('it', 'img'...). */
  unit?: string;
}

function defaultSink(): { write: (s: string) => void; tty: boolean } {
  const p = (globalThis as { process?: { stderr?: { write(s: string): void; isTTY?: boolean } } }).process;
  if (p?.stderr) return { write: (s) => p.stderr!.write(s), tty: Boolean(p.stderr.isTTY) };
  return { write: (s) => console.log(s.replace(/[\r\n]+$/, '')), tty: false };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`;
}

export class ProgressBar {
  private done = 0;
  private readonly t0 = performance.now();
  private readonly write: (s: string) => void;
  private readonly tty: boolean;
  private readonly logEvery: number;
  private lastLine = '';

  constructor(readonly total: number, readonly label = '', private readonly o: ProgressOptions = {}) {
    checkOptions('ProgressBar', o, ['write', 'tty', 'width', 'logEvery', 'unit']);
    checkNumber('ProgressBar', 'total', total, { int: true, min: 0 });
    if (o.write !== undefined && typeof o.write !== 'function') throw new Error(`ProgressBar: write must be a function (s: string) => void, got ${describe(o.write)}`);
    if (o.tty !== undefined) checkBoolean('ProgressBar', 'tty', o.tty);
    if (o.width !== undefined) checkNumber('ProgressBar', 'width', o.width, { int: true, min: 1 });
    if (o.logEvery !== undefined) checkNumber('ProgressBar', 'logEvery', o.logEvery, { int: true, min: 1 });
    if (o.unit !== undefined && typeof o.unit !== 'string') throw new Error(`ProgressBar: unit must be a string, got ${describe(o.unit)}`);
    const sink = defaultSink();
    this.write = o.write ?? sink.write;
    this.tty = o.tty ?? (o.write ? false : sink.tty);
    this.logEvery = o.logEvery ?? Math.max(1, Math.ceil(total / 10));
  }

  /** The bar's line for the current state. */
  line(values: Record<string, number | string> = {}): string {
    const width = this.o.width ?? 24;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const fill = Math.round(frac * width);
    const elapsed = (performance.now() - this.t0) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const vals = Object.entries(values).map(([k, v]) => `${k} ${typeof v === 'number' ? (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(4)) : v}`).join('  ');
    return `${this.label ? `${this.label} ` : ''}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${this.done}/${this.total} ` +
      `${rate.toFixed(rate >= 10 ? 0 : 1)} ${this.o.unit ?? 'it'}/s  ${formatDuration(elapsed)}<${formatDuration(eta)}${vals ? `  ${vals}` : ''}`;
  }

  /** Advances by n steps and redraws (values: live numbers to show, such as the loss). */
  tick(n = 1, values: Record<string, number | string> = {}): void {
    this.done += n;
    this.lastLine = this.line(values);
    if (this.tty) this.write(`\r${this.lastLine}\x1b[K`);
    else if (this.done % this.logEvery === 0 && this.done < this.total) this.write(`${this.lastLine}\n`);
  }

  /** Ends the bar, with a final line (values as in tick). */
  finish(values: Record<string, number | string> = {}): void {
    this.lastLine = this.line(values);
    this.write(this.tty ? `\r${this.lastLine}\x1b[K\n` : `${this.lastLine}\n`);
  }
}
