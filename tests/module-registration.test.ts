/**
 * Module registration as PyTorch's __setattr__: assigning a Module or a parameter (a leaf that
 * requires grad) to a property registers it, in assignment order, class fields included;
 * shared (tied) parameters are listed once by parameters() but under every name in stateDict.
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { DEVICES, NO_WEBGPU, useDevices } from './helpers.js';

useDevices();
const { nn } = wg;
const names = (m: wg.nn.Module) => [...m.namedParameters()].map(([n]) => n);

class Assigned extends nn.Module {
  fc: InstanceType<typeof nn.Linear>;
  scale: Tensor;
  constructor() {
    super();
    this.fc = new nn.Linear(4, 2);
    this.scale = wg.ones([2], { requiresGrad: true });
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(x).mul(this.scale);
  }
}

class Fields extends nn.Module {
  // Class fields: [[Define]] semantics (useDefineForClassFields under ES2022), not [[Set]].
  a = new nn.Linear(3, 3);
  b = new nn.Linear(3, 1);
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x));
  }
}

describe('Module: property assignment registers', () => {
  it('a Module assigned in the constructor is a submodule, with its parameters in the stateDict', () => {
    const m = new Assigned();
    expect(m.children()).toEqual([m.fc]);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'fc.weight', 'fc.bias']);
  });

  it('a leaf tensor that requires grad assigned to a property is a parameter', () => {
    const m = new Assigned();
    expect(names(m)).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(m.numParameters()).toBe(2 + 4 * 2 + 2);
  });

  it('class-field initialisers register too, in declaration order', () => {
    const m = new Fields();
    expect(names(m)).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    expect(m.forward(wg.ones([2, 3])).shape).toEqual([2, 1]);
  });

  it('registration follows the order of assignment, as PyTorch', () => {
    class Ordered extends nn.Module {
      constructor() {
        super();
        (this as Record<string, unknown>).second = new nn.Linear(1, 1);
        this.registerModule('first', new nn.Linear(1, 1));
        (this as Record<string, unknown>).third = new nn.ReLU();
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect([...new Ordered().namedChildren()].map(([n]) => n)).toEqual(['second', 'first', 'third']);
  });

  it('a plain tensor (no grad) stays a plain property, not a buffer', () => {
    class Plain extends nn.Module {
      table = wg.zeros([3], { dtype: 'float32' });
      forward(x: Tensor): Tensor { return x; }
    }
    const m = new Plain();
    expect(m.buffers()).toEqual([]);
    expect(m.parameters()).toEqual([]);
    expect(m.table.shape).toEqual([3]);
  });

  it('a non-leaf tensor that requires grad is not made a parameter', () => {
    class Cache extends nn.Module {
      constructor() {
        super();
        const w = wg.ones([2], { requiresGrad: true });
        (this as Record<string, unknown>).y = w.mul(2);
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(new Cache().parameters()).toEqual([]);
  });

  it('registerModule, registerParameter and registerBuffer make the name readable as a property', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2));
    expect((m as unknown as Record<string, unknown>)['0']).toBe(m.at(0));
    class Buf extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('count', wg.zeros([1], { dtype: 'int32' }));
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(((new Buf() as unknown as Record<string, Tensor>).count).shape).toEqual([1]);
  });

  it('reassigning a submodule replaces it in place (same position)', () => {
    const m = new Fields();
    const c = new nn.Linear(3, 3, false);
    m.a = c;
    expect(m.children()).toEqual([c, m.b]);
    expect(names(m)).toEqual(['a.weight', 'b.weight', 'b.bias']);
  });

  it('assigning a tensor to a buffer name replaces the buffer', () => {
    const bn = new nn.BatchNorm1d(2);
    (bn as unknown as Record<string, Tensor>).running_mean = wg.ones([2], { dtype: 'float32' });
    expect(bn.stateDict().running_mean!.shape).toEqual([2]);
    expect([...bn.namedBuffers()].map(([n]) => n)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('assigning a tensor that does not require grad to a parameter name is refused', () => {
    const m = new Assigned();
    expect(() => {
      m.scale = wg.ones([2], { dtype: 'float32' });
    }).toThrow(/Assigned: cannot assign a Tensor that does not require grad to 'scale', a parameter \(a leaf Tensor that requires grad, or null, expected\)/);
  });

  it('assigning a non-Module to a submodule name is refused', () => {
    const m = new Fields();
    expect(() => {
      (m as unknown as Record<string, unknown>).a = 3;
    }).toThrow(/Fields: cannot assign 3 to 'a', a submodule \(a Module expected/);
  });

  it('delete unregisters a submodule', () => {
    const m = new Fields();
    delete (m as unknown as Record<string, unknown>).a;
    expect(names(m)).toEqual(['b.weight', 'b.bias']);
  });

  it('a module that contains itself is refused when walked', () => {
    const m = new Fields();
    (m.b as unknown as Record<string, unknown>).loop = m;
    expect(() => Object.keys(m.stateDict())).toThrow(/Fields: module 'b.loop' contains itself/);
  });

  it('the existing layers keep their getters (Linear.weight reads the registered parameter)', () => {
    const l = new nn.Linear(2, 3);
    expect(l.weight).toBe(l.parameters()[0]);
    expect(Object.keys(l)).not.toContain('weight');
  });
});

class Tied extends nn.Module {
  emb = new nn.Embedding(5, 3);
  out = new nn.Linear(3, 5, false);
  constructor() {
    super();
    this.out.registerParameter('weight', this.emb.weight);
  }
  forward(x: Tensor): Tensor { return this.out.forward(this.emb.forward(x)); }
}

describe('Module: shared (tied) parameters', () => {
  it('parameters() lists a tied parameter once, under its first name', () => {
    const m = new Tied();
    expect(names(m)).toEqual(['emb.weight']);
    expect(m.numParameters()).toBe(15);
  });

  it('namedParameters(prefix, false) lists every name', () => {
    expect([...new Tied().namedParameters('', false)].map(([n]) => n)).toEqual(['emb.weight', 'out.weight']);
  });

  it('stateDict keeps both names, as PyTorch, and loadStateDict accepts it back', () => {
    const m = new Tied();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(['emb.weight', 'out.weight']);
    expect(new Tied().loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  it('an optimizer accepts the parameters of a model with tied weights', () => {
    const m = new Tied();
    expect(() => new wg.optim.SGD(m.parameters(), { lr: 0.1 })).not.toThrow();
  });

  it('a module registered under two names is listed once by modules()', () => {
    const shared = new nn.Linear(2, 2);
    const s = new nn.Sequential(shared, shared);
    expect(s.modules().length).toBe(2);
    expect(s.parameters().length).toBe(2);
    expect(Object.keys(s.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });

  // webgpu only (moving a model between devices needs webgpu): skipped only when the run declares no adapter (WEBGRAD_TEST_NO_WEBGPU=1; helpers.ts says so).
  it.skipIf(NO_WEBGPU)('to(device) moves a tied parameter once and keeps it tied', async () => {
    const m = new Tied();
    await m.to('webgpu');
    expect(m.out.weight).toBe(m.emb.weight);
    expect(m.emb.weight.device).toBe('webgpu');
    await m.to('cpu');
  });
});

describe.each(DEVICES)('Module registration on %s', (device) => {
  it('an assigned submodule trains: its parameters get gradients', async () => {
    class Net extends nn.Module {
      fc = new nn.Linear(3, 1, { device });
      forward(x: Tensor): Tensor { return this.fc.forward(x); }
    }
    const m = new Net();
    m.forward(wg.ones([2, 3], { device })).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});

describe('Module: assigning through a class getter', () => {
  it('linear.weight = p replaces the parameter that Linear.weight reads', () => {
    const l = new nn.Linear(2, 2);
    const p = wg.zeros([2, 2], { requiresGrad: true, dtype: 'float32' });
    l.registerParameter('weight', p);
    (l as unknown as Record<string, Tensor>).weight = p;
    expect(l.weight).toBe(p);
    expect(l.parameters()[0]).toBe(p);
  });
  it('linear.bias = a tensor without grad is refused with a message (not a TypeError)', () => {
    const l = new nn.Linear(2, 2);
    expect(() => {
      (l as unknown as Record<string, Tensor>).bias = wg.zeros([2], { dtype: 'float32' });
    }).toThrow(/Linear: cannot assign a Tensor that does not require grad to 'bias', a parameter/);
  });
});

describe('Module: unregistering by assignment', () => {
  it('assigning null to a submodule removes it (PyTorch: self.fc = None)', () => {
    const m = new Fields();
    (m as unknown as Record<string, unknown>).a = null;
    expect(names(m)).toEqual(['b.weight', 'b.bias']);
    expect((m as unknown as Record<string, unknown>).a).toBeNull();
  });
  it('registerParameter refuses a value that is not a Tensor', () => {
    expect(() => new nn.Linear(1, 1).registerParameter('w', [1, 2] as never)).toThrow(/Linear.registerParameter: 'w' must be a Tensor or null, got \[1, 2\]/);
  });
});
