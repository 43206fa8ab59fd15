/**
 * A 2-D scatter plot as a self-contained SVG (no scripts, fonts or links), coloured by group:
 * what the PCA example draws. Same frame, fonts and palette as train.historySvg.
 */
import { checkOptions } from '../core/options.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The ten colours of the category10 palette (the first two are historySvg's). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;

export interface ScatterOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** A name per group index, for the legend (default: the indices). */
  groupNames?: readonly string[];
  width?: number;
  height?: number;
}

/**
 * An SVG scatter plot of the points (x[i], y[i]) coloured by group[i] (an integer >= 0), with
 * axes ticks and a legend. The arrays must have the same length.
 */
export function scatterSvg(x: ArrayLike<number>, y: ArrayLike<number>, group: ArrayLike<number>, options: ScatterOptions = {}): string {
  const op = 'scatterSvg';
  checkOptions(op, options, ['title', 'xLabel', 'yLabel', 'groupNames', 'width', 'height']);
  if (x.length !== y.length || x.length !== group.length) throw new Error(`${op}: x, y and group must have the same length, got ${x.length}, ${y.length} and ${group.length}`);
  for (let i = 0; i < group.length; i++) {
    const g = group[i]!;
    if (!Number.isInteger(g) || g < 0) throw new Error(`${op}: group[${i}] must be an integer >= 0, got ${g}`);
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) throw new Error(`${op}: point ${i} is not finite (${x[i]}, ${y[i]})`);
  }
  const W = options.width ?? 640;
  const H = options.height ?? 480;
  const m = { l: 56, r: 150, t: 40, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const range = (v: ArrayLike<number>) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < v.length; i++) { lo = Math.min(lo, v[i]!); hi = Math.max(hi, v[i]!); }
    if (!(hi > lo)) { lo = (Number.isFinite(lo) ? lo : 0) - 1; hi = lo + 2; }
    const pad = (hi - lo) * 0.04;
    return [lo - pad, hi + pad] as const;
  };
  const [x0, x1] = range(x);
  const [y0, y1] = range(y);
  const px = (v: number) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const py = (v: number) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const vx = x0 + ((x1 - x0) * i) / 4;
    const vy = y0 + ((y1 - y0) * i) / 4;
    ticks.push(`<text x="${px(vx).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${vx.toPrecision(2)}</text>`);
    ticks.push(`<text x="${m.l - 6}" y="${(py(vy) + 4).toFixed(1)}" text-anchor="end">${vy.toPrecision(2)}</text><line x1="${m.l}" x2="${m.l + pw}" y1="${py(vy).toFixed(1)}" y2="${py(vy).toFixed(1)}" stroke="#eee"/>`);
  }
  const groups = new Set<number>();
  const dots: string[] = [];
  for (let i = 0; i < x.length; i++) {
    const g = group[i]!;
    groups.add(g);
    dots.push(`<circle cx="${px(x[i]!).toFixed(1)}" cy="${py(y[i]!).toFixed(1)}" r="2.2" fill="${PALETTE[g % PALETTE.length]}" fill-opacity="0.7"/>`);
  }
  const legend = [...groups].sort((a, b) => a - b).map((g, i) =>
    `<g transform="translate(${m.l + pw + 14},${m.t + 10 + i * 18})"><circle cx="5" cy="-4" r="5" fill="${PALETTE[g % PALETTE.length]}"/><text x="16" y="0">${esc(options.groupNames?.[g] ?? String(g))}</text></g>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${m.l + pw / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title ?? '')}</text>
${ticks.join('\n')}
<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>
<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel ?? 'x')}</text>
<text transform="translate(14,${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel ?? 'y')}</text>
<g>
${dots.join('\n')}
</g>
${legend}
</svg>
`;
}
