/**
 * The shape of the house, read from the import graph of src/ (static and dynamic imports,
 * type-only ones included): the ground folder imports nothing above it, neither backend imports
 * the other, and the only import loops are the allowed ones.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** file (relative to src/) -> the src files it imports. */
function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const re = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const abs of files(SRC)) {
    const rel = relative(SRC, abs);
    const deps: string[] = [];
    for (const m of readFileSync(abs, 'utf8').matchAll(re)) {
      const target = normalize(join(dirname(rel), m[1]!)).replace(/\.js$/, '.ts');
      if (target.endsWith('.ts')) deps.push(target);
    }
    g.set(rel, deps);
  }
  return g;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const graph = importGraph();

describe('the import graph of src/', () => {
  it('src/core/ imports nothing outside src/core/', () => {
    const upward = [...graph].flatMap(([f, deps]) => (f.startsWith('core/') ? deps.filter((d) => !d.startsWith('core/')).map((d) => `${f} -> ${d}`) : []));
    expect(upward).toEqual([]);
  });

  it('no module of one backend imports another backend, but wasm may use the cpu reference', () => {
    // A backend's modules: its folder (kernels/cpu/, kernels/webgpu/, kernels/wasm/) and each
    // family's cpu.ts / webgpu.ts / wasm.ts. The wasm backend runs the cpu reference loops on its
    // heap for the kernels it has no WebAssembly version of, so wasm -> cpu is the one allowed edge.
    const side = (f: string) => {
      for (const b of ['cpu', 'webgpu', 'wasm']) if (f.startsWith(`kernels/${b}/`) || new RegExp(`^kernels/[a-z_]+/${b}\\.ts$`).test(f)) return b;
      return null;
    };
    const cross = [...graph].flatMap(([f, deps]) => {
      const a = side(f);
      return a ? deps.filter((d) => side(d) !== null && side(d) !== a && !(a === 'wasm' && side(d) === 'cpu')).map((d) => `${f} -> ${d}`) : [];
    });
    expect(cross).toEqual([]);
    // The check sees the edges it allows (the reader is not blind to wasm -> cpu).
    expect(graph.get('kernels/wasm/families.ts')).toContain('kernels/cpu/families.ts');
  });

  it('the only import loop is Tensor <-> ops <-> autograd', () => {
    // Tensor methods call the ops, the ops record nodes, the engine calls tensor ops: one floor.
    const engineFloor = (f: string) => f.startsWith('tensor/') || f === 'autograd/engine.ts' || f === 'autograd/node.ts' || f === 'autograd/mode.ts';
    const bad = cycles(graph).filter((scc) => !scc.every(engineFloor));
    expect(bad).toEqual([]);
  });

  it('each kernel family has its interface, cpu reference and webgpu binder in its own folder', () => {
    // Every folder of src/kernels/ other than the three backends' is a family.
    const families = readdirSync(join(SRC, 'kernels')).filter((f) => statSync(join(SRC, 'kernels', f)).isDirectory() && !['cpu', 'webgpu', 'wasm'].includes(f));
    expect(families).toEqual(expect.arrayContaining(['elementwise', 'reduce', 'matmul', 'conv', 'pool', 'softmax', 'norm', 'optim', 'cumsum']));
    for (const family of families) {
      for (const f of ['types.ts', 'cpu.ts', 'webgpu.ts']) expect(graph.has(`kernels/${family}/${f}`), `kernels/${family}/${f}`).toBe(true);
    }
    // ...and the backend classes reach them only through the two tables.
    for (const cls of ['kernels/cpu/index.ts', 'kernels/webgpu/index.ts', 'kernels/wasm/index.ts']) {
      expect(graph.get(cls)!.filter((d) => families.some((f) => d.startsWith(`kernels/${f}/`)))).toEqual([]);
    }
  });

  it('finds the imports it checks (the reader is not blind)', () => {
    expect(graph.get('tensor/tensor.ts')).toContain('core/shape.ts');
    expect(cycles(graph).some((scc) => scc.includes('tensor/tensor.ts'))).toBe(true);
  });
});
