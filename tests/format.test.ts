/**
 * toString() prints like PyTorch — values aligned in columns, floats with 4 decimals (or in
 * exponent form when the range calls for it), rows on their own lines — followed by the
 * shape, dtype and device. Booleans print as JS spells them (true/false). Large tensors are
 * elided with '...'. webgpu values are not on the host until read, so toString() says to
 * await format(); disposed tensors print <disposed>.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

useDevices();

const cpu = { device: 'cpu' as const };

describe('toString() on cpu: exact strings', () => {
  it('a float32 matrix of whole numbers prints them with a trailing point', () => {
    const t = wg.tensor([[1, 2], [3, 4]], { ...cpu, dtype: 'float32' });
    expect(t.toString()).toBe('tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2], dtype=float32, device=cpu)');
  });

  it('int32 values are right-aligned to the widest one', () => {
    const t = wg.tensor([[1, -2, 30], [4, 5, 6]], { ...cpu, dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    expect(t.toString()).toBe('tensor([[ 1, -2, 30],\n        [ 4,  5,  6]], shape=[2, 3], dtype=int32, device=cpu)');
  });

  it('floats with decimals print 4 of them, aligned', () => {
    const t = wg.tensor([1.5, -2.25, 3.14159], cpu);
    expect(t.toString()).toBe('tensor([ 1.5000, -2.2500,  3.1416], shape=[3], dtype=float32, device=cpu)');
  });

  it('a float matrix with decimals', () => {
    const t = wg.tensor([[0.1, 0.25], [10.5, -1]], cpu);
    expect(t.toString()).toBe('tensor([[ 0.1000,  0.2500],\n        [10.5000, -1.0000]], shape=[2, 2], dtype=float32, device=cpu)');
  });

  it('tiny or huge magnitudes switch to exponent form with two exponent digits', () => {
    expect(wg.tensor([1e-5, 1, 100], cpu).toString()).toBe(
      'tensor([1.0000e-05, 1.0000e+00, 1.0000e+02], shape=[3], dtype=float32, device=cpu)',
    );
    expect(wg.tensor([1.5e10, -2], { ...cpu, dtype: 'float32' }).toString()).toBe(
      'tensor([ 1.5000e+10, -2.0000e+00], shape=[2], dtype=float32, device=cpu)',
    );
  });

  it('nan and ±inf print as PyTorch spells them', () => {
    const t = wg.tensor([NaN, Infinity, -Infinity, 1.5], cpu);
    expect(t.toString()).toBe('tensor([   nan,    inf,   -inf, 1.5000], shape=[4], dtype=float32, device=cpu)');
  });

  it('bool values print true/false, aligned', () => {
    const t = wg.tensor([true, false, true], cpu);
    expect(t.toString()).toBe('tensor([ true, false,  true], shape=[3], dtype=bool, device=cpu)');
  });

  it('0-d scalars print the bare value', () => {
    expect(wg.tensor(3.5, cpu).toString()).toBe('tensor(3.5000, shape=[], dtype=float32, device=cpu)');
    expect(wg.tensor(7, { ...cpu, dtype: 'int32' }).toString()).toBe('tensor(7, shape=[], dtype=int32, device=cpu)');
    expect(wg.tensor(-2, { ...cpu, dtype: 'float32' }).toString()).toBe('tensor(-2., shape=[], dtype=float32, device=cpu)');
    expect(wg.tensor(true, cpu).toString()).toBe('tensor(true, shape=[], dtype=bool, device=cpu)');
  });

  it('3-D tensors separate their matrices with a blank line', () => {
    const t = wg.arange(8, undefined, 1, cpu).reshape(2, 2, 2);
    expect(t.toString()).toBe(
      'tensor([[[0, 1],\n' +
        '         [2, 3]],\n' +
        '\n' +
        '        [[4, 5],\n' +
        '         [6, 7]]], shape=[2, 2, 2], dtype=int32, device=cpu)',
    );
  });

  it('a non-contiguous view prints its own logical order', () => {
    const t = wg.arange(6, undefined, 1, cpu).reshape(2, 3).T;
    expect(t.toString()).toBe('tensor([[0, 3],\n        [1, 4],\n        [2, 5]], shape=[3, 2], dtype=int32, device=cpu)');
  });

  it('float64 prints the same way, naming its dtype', () => {
    expect(wg.tensor([0.5, 2], { ...cpu, dtype: 'float64' }).toString()).toBe('tensor([0.5000, 2.0000], shape=[2], dtype=float64, device=cpu)');
  });

  it('empty tensors', () => {
    expect(wg.zeros([0], cpu).toString()).toBe('tensor([], shape=[0], dtype=float32, device=cpu)');
    expect(wg.zeros([2, 0], cpu).toString()).toBe('tensor([[],\n        []], shape=[2, 0], dtype=float32, device=cpu)');
  });

  it('String(t) and template literals use toString()', () => {
    const t = wg.tensor([1, 2], { ...cpu, dtype: 'int32' });
    expect(String(t)).toBe('tensor([1, 2], shape=[2], dtype=int32, device=cpu)');
    expect(`${t}`).toBe(String(t));
  });
});

describe('elision above 1000 elements', () => {
  it('1-D: the first and last three values around "..."', () => {
    const t = wg.arange(2000, undefined, 1, cpu);
    expect(t.toString()).toBe('tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32, device=cpu)');
  });

  it('2-D: three rows and columns at each edge, "..." for the rest, width from the shown values', () => {
    const s = wg.arange(2000, undefined, 1, cpu).reshape(40, 50).toString();
    const lines = s.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('tensor([[   0,    1,    2, ...,   47,   48,   49],');
    expect(lines[3]).toBe('        ...,');
    expect(lines[6]).toBe('        [1950, 1951, 1952, ..., 1997, 1998, 1999]], shape=[40, 50], dtype=int32, device=cpu)');
  });

  it('exactly 1000 elements are printed in full; 1001 are elided', () => {
    const full = wg.zeros([1000], { ...cpu, dtype: 'int32' }).toString();
    expect(full).not.toContain('...');
    expect(full.match(/0/g)!.length).toBeGreaterThanOrEqual(1000);
    const elided = wg.zeros([1001], { ...cpu, dtype: 'int32' }).toString();
    expect(elided).toBe('tensor([0, 0, 0, ..., 0, 0, 0], shape=[1001], dtype=int32, device=cpu)');
  });

  it('a large tensor prints in bounded length', () => {
    const s = wg.rand([100, 100, 10], cpu).toString();
    expect(s).toContain('...');
    // 6 x 6 rows of 7 cells are shown; in full it would be 100,000 cells of 6+ characters.
    expect(s.length).toBeLessThan(5000);
    expect(s.split('\n').filter((l) => l.includes('0.')).length).toBeLessThanOrEqual(36);
    expect(s).toMatch(/shape=\[100, 100, 10\], dtype=float32, device=cpu\)$/);
  });
});

describe.each(DEVICES)('format(), print() and disposed tensors on %s', (device) => {
  it('await t.format() returns the values, as toString() prints them on cpu', async () => {
    const t = wg.tensor([[1.5, -2], [0.25, 4]], { device });
    expect(await t.format()).toBe(`tensor([[ 1.5000, -2.0000],\n        [ 0.2500,  4.0000]], shape=[2, 2], dtype=float32, device=${device})`);
    const r = t.matmul(t).relu();
    const c = wg.tensor([[1.5, -2], [0.25, 4]], cpu);
    const rc = c.matmul(c).relu();
    expect((await r.format()).replace(`device=${device}`, 'device=cpu')).toBe(rc.toString());
  });

  it('print() writes format() to the console', async () => {
    const t = wg.tensor([1, 2, 3], { device, dtype: 'int32' });
    const logged: unknown[] = [];
    const orig = console.log;
    console.log = (...args: unknown[]) => void logged.push(...args);
    try {
      await t.print();
    } finally {
      console.log = orig;
    }
    expect(logged).toEqual([`tensor([1, 2, 3], shape=[3], dtype=int32, device=${device})`]);
  });

  it('a disposed tensor prints <disposed> with its shape, dtype and device', async () => {
    const t = wg.tensor([1, 2, 3], { device, dtype: 'float32' });
    await t.data(); // even with its values cached on the host
    t.dispose();
    const want = `tensor(<disposed>, shape=[3], dtype=float32, device=${device})`;
    expect(t.toString()).toBe(want);
    expect(await t.format()).toBe(want);
  });
});

describe.skipIf(NO_WEBGPU)('webgpu tensors before and after a read', () => {
  it('toString() before any read says to await t.format(); it never blocks or reads', async () => {
    const t = wg.tensor([1, 2], { device: 'webgpu', dtype: 'float32' });
    const y = t.mul(3);
    expect(y.toString()).toBe('tensor(<on webgpu: await t.format() or t.print() to read values>, shape=[2], dtype=float32, device=webgpu)');
    expect(await y.format()).toBe('tensor([3., 6.], shape=[2], dtype=float32, device=webgpu)');
    // Once read, the values are cached (tensors are immutable) and toString() shows them.
    expect(y.toString()).toBe('tensor([3., 6.], shape=[2], dtype=float32, device=webgpu)');
  });

  it('a large webgpu tensor formats elided after the read', async () => {
    const t = wg.arange(2000, undefined, 1, { device: 'webgpu' });
    expect(t.toString()).toMatch(/^tensor\(<on webgpu: await t\.format\(\)/);
    expect(await t.format()).toBe('tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32, device=webgpu)');
  });
});

describe.each(DEVICES)('console.log and util.inspect on %s', (device) => {
  const inspect = (t: unknown) => (t as Record<symbol, () => string>)[Symbol.for('nodejs.util.inspect.custom')]!();

  it('util.inspect prints the tensor like toString(), not its storage and backend', async () => {
    const util = await import('node:util');
    const t = wg.tensor([[1, 2], [3, 4]], { device });
    const text = util.inspect(t);
    expect(text).toBe(t.toString());
    expect(text).not.toContain('Storage');
    expect(text).toContain(`shape=[2, 2], dtype=float32, device=${device}`);
  });

  it('shows requiresGrad on a leaf and gradFn on a result, as PyTorch shows requires_grad and grad_fn', () => {
    const w = wg.tensor([1, 2], { device, requiresGrad: true });
    expect(inspect(w)).toContain('requiresGrad=true');
    expect(inspect(w.mul(2))).toContain('gradFn=<mul>');
    expect(inspect(wg.tensor([1, 2], { device }))).not.toContain('requiresGrad');
  });

  it('prints the values once known: cpu and wasm always (host memory), webgpu after a read', async () => {
    const t = wg.tensor([1, 2], { device });
    if (device !== 'webgpu') expect(inspect(t)).toBe(`tensor([1., 2.], shape=[2], dtype=float32, device=${device})`);
    else {
      expect(inspect(t)).toBe('tensor(<on webgpu: await t.format() or t.print() to read values>, shape=[2], dtype=float32, device=webgpu)');
      await t.data();
      expect(inspect(t)).toBe('tensor([1., 2.], shape=[2], dtype=float32, device=webgpu)');
    }
  });
});
