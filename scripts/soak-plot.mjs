/** The soak's memory curve as a self-contained SVG (scripts/soak.mjs writes it with --svg). */
export function curveSvg(s) {
  const W = 640, H = 360, m = { l: 64, r: 20, t: 36, b: 70 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const series = [
    ['held by live tensors', '#1f77b4', (p) => p.liveBytes],
    ['pooled (free, kept for reuse)', '#ff7f0e', (p) => p.pooledBytes],
    ['process RSS', '#2ca02c', (p) => p.rss],
  ];
  const maxY = Math.max(1, ...s.samples.flatMap((p) => series.map(([, , f]) => f(p)))) * 1.1 / 2 ** 20;
  const maxX = Math.max(1, s.steps);
  const X = (v) => m.l + (v / maxX) * pw;
  const Y = (mbv) => m.t + ph - (mbv / maxY) * ph;
  const lines = series.map(([, color, f]) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${s.samples.map((p) => `${X(p.step).toFixed(1)},${Y(f(p) / 2 ** 20).toFixed(1)}`).join(' ')}"/>`);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) =>
    `<line x1="${m.l}" x2="${m.l + pw}" y1="${Y(f * maxY)}" y2="${Y(f * maxY)}" stroke="#ddd"/><text x="${m.l - 6}" y="${Y(f * maxY) + 4}" text-anchor="end" font-size="11">${(f * maxY).toFixed(0)}</text>` +
    `<text x="${X(f * maxX)}" y="${m.t + ph + 16}" text-anchor="middle" font-size="11">${Math.round(f * maxX)}</text>`);
  let lx = m.l;
  const legend = series.map(([name, color]) => {
    const x0 = lx;
    lx += 16 + name.length * 6.2 + 18; // about 6.2 px a character at 11 px
    return `<rect x="${x0}" y="${H - 22}" width="12" height="12" fill="${color}"/><text x="${x0 + 16}" y="${H - 12}" font-size="11">${name}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">soak: ${s.workload} on ${s.device}, ${s.steps} steps without dispose (MiB)</text>
${ticks.join('\n')}
<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#000"/><line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#000"/>
<text x="${m.l + pw / 2}" y="${m.t + ph + 34}" text-anchor="middle" font-size="12">step</text>
${lines.join('\n')}
${legend.join('\n')}
</svg>
`;
}
