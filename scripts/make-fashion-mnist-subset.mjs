#!/usr/bin/env node
// Writes the small real Fashion-MNIST subset the tests train on (data/fashion-mnist-subset):
// the first N training and M test examples of the Debian package's files, as gzipped IDX.
//   node scripts/make-fashion-mnist-subset.mjs [--train 2000] [--test 500] [--from /usr/share/datasets/fashion-mnist]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const from = arg('--from', '/usr/share/datasets/fashion-mnist');
const counts = { train: Number(arg('--train', 2000)), t10k: Number(arg('--test', 500)) };
const out = new URL('../data/fashion-mnist-subset/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
for (const [split, n] of Object.entries(counts)) {
  for (const [kind, headerLen, per] of [['images-idx3-ubyte', 16, 784], ['labels-idx1-ubyte', 8, 1]]) {
    const raw = gunzipSync(readFileSync(`${from}/${split}-${kind}.gz`));
    const head = Buffer.from(raw.subarray(0, headerLen));
    head.writeUInt32BE(n, 4); // the first dimension: the number of examples
    const body = raw.subarray(headerLen, headerLen + n * per);
    writeFileSync(`${out}/${split}-${kind}.gz`, gzipSync(Buffer.concat([head, body]), { level: 9 }));
  }
}
console.log(`wrote ${out}: ${counts.train} train and ${counts.t10k} test examples`);
