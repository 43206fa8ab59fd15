import * as wg from '../dist/webgrad.node.js';
import * as tf from '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-backend-cpu'; await tf.setBackend('cpu');
const n = 1 << 20;
const a = wg.randn([n], { device: 'cpu' }), b = wg.randn([n], { device: 'cpu' });
const ta = tf.randomNormal([n]), tb = tf.randomNormal([n]);
function t(f) { for (let i = 0; i < 20; i++) f(); const ts = []; for (let i = 0; i < 41; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } ts.sort((a, b) => a - b); return ts[20].toFixed(2); }
const A = new Float32Array(n), B = new Float32Array(n);
for (let k = 0; k < 3; k++) console.log('wg', t(() => a.add(b).dispose()), 'tf', t(() => tf.add(ta, tb).dispose()), 'raw', t(() => { const O = new Float32Array(n); for (let i = 0; i < n; i++) O[i] = A[i] + B[i]; }));
