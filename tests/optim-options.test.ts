/**
 * Optimizers' arguments: unknown options, defaults when lr is omitted, wrong kinds of params
 * (a Module, a single Tensor, a Map...), parameter groups' keys and options, and parameters
 * listed twice (kept once within a group, an error across groups, as PyTorch).
 */
import { describe, expect, it } from 'vitest';
import * as wg from '../src/index.js';
import { useDevices } from './helpers.js';

useDevices();
const { optim, nn } = wg;
const param = (v: number[] = [1, 2]) => wg.tensor(new Float32Array(v), { requiresGrad: true });

describe('optimizer options', () => {
  it('an unknown option is an error naming it, with did-you-mean', () => {
    expect(() => new optim.SGD([param()], { lr: 0.1, momentun: 0.9 } as never)).toThrow("SGD: unknown option 'momentun' (did you mean 'momentum'?)");
  });

  it('the error lists the accepted options', () => {
    expect(() => new optim.Adam([param()], { learningRate: 0.1 } as never)).toThrow('accepted options: lr, betas, eps, weightDecay, amsgrad, maximize');
  });

  it.each([
    ['SGD', () => new optim.SGD([param()], { momentum: 0.9 }), 1e-3],
    ['Adam', () => new optim.Adam([param()], { weightDecay: 1e-4 }), 1e-3],
    ['AdamW', () => new optim.AdamW([param()], { weightDecay: 1e-4 }), 1e-3],
    ['RMSprop', () => new optim.RMSprop([param()], { momentum: 0.5 }), 1e-2],
    ['Adagrad', () => new optim.Adagrad([param()], { lrDecay: 0.1 }), 1e-2],
    ['Adadelta', () => new optim.Adadelta([param()], { rho: 0.5 }), 1],
  ] as const)('%s: lr takes its default when other options are given', (_, make, lr) => {
    expect(make().paramGroups[0]!.options.lr).toBe(lr);
  });

  it('SGD: lr defaults to 1e-3 with no options at all (as recent PyTorch)', () => {
    expect(new optim.SGD([param()]).lrs).toEqual([1e-3]);
  });

  it('an option given as undefined takes the default', () => {
    expect(new optim.AdamW([param()], { lr: undefined, weightDecay: undefined }).paramGroups[0]!.options).toMatchObject({ lr: 1e-3, weightDecay: 0.01 });
  });

  it('lr NaN is refused', () => {
    expect(() => new optim.Adam([param()], { lr: NaN })).toThrow('Adam: lr must be a finite number >= 0, got NaN');
  });

  it('a negative eps is refused', () => {
    expect(() => new optim.RMSprop([param()], { eps: -1e-8 })).toThrow('RMSprop: eps must be a finite number >= 0, got -1e-8');
  });

  it('betas must be a pair', () => {
    expect(() => new optim.Adam([param()], { betas: [0.9] as never })).toThrow('Adam: betas must be a pair [beta1, beta2], got [0.9]');
  });

  it('a flag must be a boolean', () => {
    expect(() => new optim.SGD([param()], { nesterov: 'yes' as never })).toThrow("SGD: nesterov must be true or false, got 'yes'");
  });

  it('Nesterov momentum without momentum says what it got', () => {
    expect(() => new optim.SGD([param()], { nesterov: true })).toThrow('SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum 0 and dampening 0');
  });

  it('options must be a plain object', () => {
    expect(() => new optim.SGD([param()], 0.1 as never)).toThrow('SGD: options must be a plain object');
  });
});

describe('optimizer params', () => {
  it('a Module is refused with the hint to pass model.parameters()', () => {
    const model = new nn.Sequential(new nn.Linear(2, 2));
    expect(() => new optim.SGD(model as never, { lr: 0.1 })).toThrow(
      'SGD: params must be an iterable of Tensors or of parameter groups ({ params, options }); got a Sequential module (pass model.parameters())',
    );
  });

  it('a single Tensor is refused with the hint to wrap it in a list', () => {
    expect(() => new optim.Adam(param() as never)).toThrow('Adam: params must be an iterable of Tensors or of parameter groups ({ params, options }); got a single Tensor of shape [2] (pass [tensor])');
  });

  it('a Map is refused', () => {
    expect(() => new optim.SGD(new Map([['w', param()]]) as never)).toThrow('got a Map (pass [...map.values()])');
  });

  it('null is refused', () => {
    expect(() => new optim.SGD(null as never)).toThrow('SGD: params must be an iterable of Tensors or of parameter groups ({ params, options }); got null');
  });

  it('namedParameters() pairs are refused', () => {
    const model = new nn.Linear(2, 2);
    expect(() => new optim.SGD([...model.namedParameters()] as never)).toThrow('got [name, Tensor] pairs (pass model.parameters(), not namedParameters())');
  });

  it('a list of numbers is refused naming the item', () => {
    expect(() => new optim.SGD([1, 2] as never)).toThrow('SGD: params must be an iterable of Tensors or of parameter groups ({ params, options }); got 1 as item 0');
  });

  it('a Set of tensors is accepted', () => {
    expect(new optim.SGD(new Set([param(), param()])).paramGroups[0]!.params).toHaveLength(2);
  });

  it('a parameter listed twice in one group is kept once and updated once per step', async () => {
    const w = param([1, 2]);
    const opt = new optim.SGD([w, w], { lr: 0.5 });
    expect(opt.paramGroups[0]!.params).toEqual([w]);
    w.grad = wg.tensor(new Float32Array([1, 1]));
    opt.step();
    expect(Array.from(await w.data())).toEqual([0.5, 1.5]);
  });

  it('a parameter in two groups is an error naming both groups', () => {
    const w = param();
    expect(() => new optim.SGD([{ params: [param()] }, { params: [w] }, { params: [w] }])).toThrow(
      'SGD: a parameter (shape [2]) appears in more than one group (groups 1 and 2)',
    );
  });

  it("a group's params may be a single Tensor", () => {
    expect(new optim.SGD([{ params: param() }]).paramGroups[0]!.params).toHaveLength(1);
  });

  it('a group with an unknown key is refused with did-you-mean', () => {
    expect(() => new optim.SGD([{ parms: [param()] } as never])).toThrow("SGD: parameter group 0: unknown option 'parms' (did you mean 'params'?)");
  });

  it("an option at a group's top level says it goes under options", () => {
    expect(() => new optim.SGD([{ params: [param()], lr: 0.1 } as never])).toThrow(
      "SGD: parameter group 0 has the key 'lr': a group's options go under 'options', as { params, options: { lr } }",
    );
  });

  it("a group's unknown option is refused with did-you-mean", () => {
    expect(() => new optim.Adam([{ params: [param()], options: { weight_decay: 0.1 } as never }])).toThrow(
      "Adam: parameter group 0 options: unknown option 'weight_decay' (did you mean 'weightDecay'?)",
    );
  });

  it("a group's option out of range names the group", () => {
    expect(() => new optim.SGD([{ params: [param()] }, { params: [param()], options: { momentum: -0.5 } }], { lr: 0.1 })).toThrow(
      'SGD: momentum (parameter group 1) must be a finite number >= 0, got -0.5',
    );
  });

  it('a group takes the optimizer options it does not override', () => {
    const opt = new optim.SGD([{ params: [param()] }, { params: [param()], options: { lr: 0.01 } }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups.map((g) => [g.options.lr, g.options.momentum])).toEqual([[0.1, 0.9], [0.01, 0.9]]);
  });

  it('a group with an empty parameter list is refused', () => {
    expect(() => new optim.SGD([{ params: [param()] }, { params: [] }])).toThrow('SGD: parameter group 1 has an empty parameter list');
  });

  it('momentum switched on after some steps starts its buffer from the gradient, as PyTorch', async () => {
    const w = param([0]);
    const opt = new optim.SGD([w], { lr: 1, dampening: 0.5 });
    w.grad = wg.tensor(new Float32Array([1]));
    opt.step(); // plain SGD: w = -1
    opt.paramGroups[0]!.options.momentum = 0.9;
    opt.step(); // first momentum step: buf = g (not (1 - dampening) g), w = -2
    expect(Array.from(await w.data())).toEqual([-2]);
  });
});

describe('optimizer calls', () => {
  it('step(closure) is refused: the closure would never run', () => {
    expect(() => (new optim.SGD([param()]).step as (c: unknown) => void)(() => 1)).toThrow('SGD.step: takes no arguments (no closure: compute the loss and call backward() before step())');
  });

  it('zeroGrad(false) is refused: gradients are always set to null', () => {
    expect(() => (new optim.Adam([param()]).zeroGrad as (s: boolean) => void)(false)).toThrow("Adam.zeroGrad: takes no arguments (gradients are always set to null, as PyTorch's set_to_none), got false");
  });

  it("loadStateDict refuses a group option the optimizer does not have", () => {
    const opt = new optim.SGD([param()]);
    const sd = opt.stateDict();
    (sd.groups[0]!.options as Record<string, unknown>).betas = [0.9, 0.99];
    expect(() => opt.loadStateDict(sd)).toThrow("SGD.loadStateDict: group 0 options: unknown option 'betas'");
  });
});

describe('clipping arguments', () => {
  it('clipGradNorm accepts a single Tensor, as PyTorch', async () => {
    const w = param([3, 4]);
    w.grad = wg.tensor(new Float32Array([3, 4]));
    expect(await optim.clipGradNorm(w, 1).item()).toBeCloseTo(5, 5);
  });

  it('clipGradNorm refuses a Module with the hint', () => {
    expect(() => optim.clipGradNorm(new nn.Linear(2, 2) as never, 1)).toThrow('clipGradNorm: params must be a Tensor or an iterable of Tensors; got a Linear module (pass model.parameters())');
  });

  it('a parameter listed twice counts once in the norm', async () => {
    const w = param([3, 4]);
    w.grad = wg.tensor(new Float32Array([3, 4]));
    expect(await optim.clipGradNorm([w, w], 100).item()).toBeCloseTo(5, 5);
  });

  it('clipGradValue refuses NaN', () => {
    expect(() => optim.clipGradValue([param()], NaN)).toThrow('clipGradValue: clipValue must be a number >= 0, got NaN');
  });
});
