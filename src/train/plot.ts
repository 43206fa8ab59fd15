/**
 * A training history as an SVG chart a person can open: loss (left axis) and accuracy (right
 * axis) per epoch, train and validation. Self-contained: no scripts, fonts or links.
 */
import type { EpochLog } from './fit.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function historySvg(history: readonly EpochLog[], title = 'training'): string {
  const W = 640;
  const H = 380;
  const m = { l: 56, r: 56, t: 40, b: 64 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const epochs = history.map((h) => h.epoch);
  const maxE = Math.max(1, ...epochs);
  const losses = history.flatMap((h) => [h.trainLoss, h.valLoss]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const maxL = Math.max(1e-9, ...losses) * 1.1;
  const x = (e: number) => m.l + (maxE === 1 ? pw / 2 : ((e - 1) / (maxE - 1)) * pw);
  const yl = (v: number) => m.t + ph - (v / maxL) * ph;
  const ya = (v: number) => m.t + ph - v * ph;
  const line = (vals: (number | undefined)[], y: (v: number) => number, color: string, dash = '') => {
    const pts = vals.map((v, i) => (v === undefined ? null : `${x(epochs[i]!).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
    if (pts.length === 0) return '';
    const dots = pts.map((p) => `<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="3" fill="${color}"/>`).join('');
    return `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.join(' ')}"/>${dots}`;
  };
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (maxL * i) / 4;
    ticks.push(`<text x="${m.l - 6}" y="${yl(v) + 4}" text-anchor="end">${v.toPrecision(2)}</text><line x1="${m.l}" x2="${m.l + pw}" y1="${yl(v)}" y2="${yl(v)}" stroke="#eee"/>`);
    ticks.push(`<text x="${m.l + pw + 6}" y="${ya(i / 4) + 4}">${(i * 25).toFixed(0)}%</text>`);
  }
  for (const e of epochs) ticks.push(`<text x="${x(e)}" y="${m.t + ph + 16}" text-anchor="middle">${e}</text>`);
  const legend = [
    ['#1f77b4', '', 'train loss'], ['#1f77b4', '5,4', 'val loss'], ['#d62728', '', 'train acc'], ['#d62728', '5,4', 'val acc'],
  ].map(([c, d, t], i) => `<g transform="translate(${m.l + i * 130},${H - 10})"><line x1="0" x2="24" y1="-4" y2="-4" stroke="${c}" stroke-width="2" ${d ? `stroke-dasharray="${d}"` : ''}/><text x="30" y="0">${t}</text></g>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>
${ticks.join('\n')}
<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>
<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" text-anchor="middle">epoch</text>
<text transform="translate(14,${m.t + ph / 2}) rotate(-90)" text-anchor="middle">loss</text>
<text transform="translate(${W - 10},${m.t + ph / 2}) rotate(90)" text-anchor="middle">accuracy</text>
${line(history.map((h) => h.trainLoss), yl, '#1f77b4')}
${line(history.map((h) => h.valLoss), yl, '#1f77b4', '5,4')}
${line(history.map((h) => h.trainAccuracy), ya, '#d62728')}
${line(history.map((h) => h.valAccuracy), ya, '#d62728', '5,4')}
${legend}
</svg>
`;
}
