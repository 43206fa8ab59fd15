/** Refused in-place calls (add_, mul_, fill_, copy_, clamp_, the unary ones): see src/tensor/ops/inplace.ts. */
import * as wg from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import type { BadCall } from './types.js';

const f32 = (values: number[], device: DeviceName, requiresGrad = false) =>
  wg.tensor(new Float32Array(values), { shape: [values.length], device, requiresGrad });
const i32 = (values: number[], device: DeviceName) => wg.tensor(new Int32Array(values), { shape: [values.length], device });

const all: BadCall[] = [
  {
    what: 'a misspelt add_ option',
    kind: 'unknown option',
    op: 'add_',
    expect: ["unknown option 'alpah'", "did you mean 'alpha'"],
    call: (device) => f32([1, 2], device).add_(1, { alpah: 2 } as never),
  },
  {
    what: 'an option given to mul_, which takes none',
    kind: 'unknown option',
    op: 'mul_',
    expect: ["unknown option 'alpha'", 'it takes no options'],
    call: (device) => f32([1, 2], device).mul_(2, { alpha: 2 } as never),
  },
  {
    what: 'a NaN alpha',
    kind: 'out of range',
    op: 'add_',
    expect: ['alpha must be a finite number', 'got NaN'],
    call: (device) => f32([1, 2], device).add_(1, { alpha: NaN }),
  },
  {
    what: 'a string alpha',
    kind: 'wrong type',
    op: 'sub_',
    expect: ['alpha must be a finite number', "got '2'"],
    call: (device) => f32([1, 2], device).sub_(1, { alpha: '2' as never }),
  },
  {
    what: 'a fractional alpha on an int32 tensor',
    kind: 'out of range',
    op: 'add_',
    expect: ['alpha must be an integer', 'got 0.5'],
    call: (device) => i32([1, 2], device).add_(1, { alpha: 0.5 }),
  },
  {
    what: 'an operand whose broadcast shape is larger than the tensor written to',
    kind: 'shape',
    op: 'add_',
    expect: ['the other operand of shape [2, 2]', 'does not broadcast to the shape of the tensor written to, [2]'],
    call: (device) => f32([1, 2], device).add_(wg.zeros([2, 2], { dtype: 'float32', device })),
  },
  {
    what: 'mul_ with shapes that do not broadcast',
    kind: 'shape',
    op: 'mul_',
    expect: ['[2]', '[3]', 'cannot be broadcast'],
    call: (device) => f32([1, 2], device).mul_(f32([1, 2, 3], device)),
  },
  {
    what: 'copy_ from a larger source',
    kind: 'shape',
    op: 'copy_',
    expect: ['the source of shape [3, 2]', 'does not broadcast'],
    call: (device) => f32([1, 2], device).copy_(wg.zeros([3, 2], { dtype: 'float32', device })),
  },
  {
    what: 'writing into an expanded (stride 0) view',
    kind: 'shape',
    op: 'fill_',
    expect: ['more than one element of the tensor written to', 'strides [0]', 'clone()'],
    call: (device) => f32([1], device).expand(3).fill_(0),
  },
  {
    what: 'fill_ with a 1-d tensor',
    kind: 'shape',
    op: 'fill_',
    expect: ['must be 0-dimensional', 'shape [2]', 'copy_()'],
    call: (device) => f32([1, 2], device).fill_(f32([1, 2], device)),
  },
  {
    what: 'an int32 tensor add_ a float32 tensor',
    kind: 'dtype',
    op: 'add_',
    expect: ["the result type float32 can't be cast to the dtype of the tensor written to, int32"],
    call: (device) => i32([1, 2], device).add_(f32([0.5, 0.5], device)),
  },
  {
    what: 'an int32 tensor add_ a fractional scalar',
    kind: 'dtype',
    op: 'add_',
    expect: ["the result type float32 can't be cast", 'int32'],
    call: (device) => i32([1, 2], device).add_(1.5),
  },
  {
    what: 'true division of an int32 tensor in place',
    kind: 'dtype',
    op: 'div_',
    expect: ["the result type float32 can't be cast", 'int32'],
    call: (device) => i32([4, 6], device).div_(2),
  },
  {
    what: 'exp_ of an int32 tensor',
    kind: 'dtype',
    op: 'exp_',
    expect: ["the result type float32 can't be cast", 'int32'],
    call: (device) => i32([1, 2], device).exp_(),
  },
  {
    what: 'add_ on a bool tensor (the sum is int32)',
    kind: 'dtype',
    op: 'add_',
    expect: ["the result type int32 can't be cast", 'bool'],
    call: (device) => wg.zeros([2], { dtype: 'bool', device }).add_(1),
  },
  {
    what: 'clamp_ of an int32 tensor with a fractional bound',
    kind: 'dtype',
    op: 'clamp_',
    expect: ["the result type float32 can't be cast", 'int32'],
    call: (device) => i32([1, 2], device).clamp_(0.5),
  },
  {
    what: 'add_ on a leaf that requires grad, outside noGrad',
    kind: 'state',
    op: 'add_',
    expect: ['a leaf tensor that requires grad ([2] float32) is being used in an in-place operation', 'noGrad'],
    call: (device) => f32([1, 2], device, true).add_(1),
  },
  {
    what: 'zero_ on a leaf that requires grad, outside noGrad',
    kind: 'state',
    op: 'zero_',
    expect: ['a leaf tensor that requires grad', 'in-place operation'],
    call: (device) => f32([1, 2], device, true).zero_(),
  },
  {
    what: 'mul_ on a non-leaf that requires grad, with grad mode on',
    kind: 'state',
    op: 'mul_',
    expect: ["requires grad (it was made by 'exp')", 'autograd does not record in-place ops', 'out-of-place mul()'],
    call: (device) => f32([1, 2], device, true).exp().mul_(2),
  },
  {
    what: 'fill_ of a view of a leaf that requires grad, with grad mode on',
    kind: 'state',
    op: 'fill_',
    expect: ["requires grad (it was made by 'narrow')"],
    call: (device) => f32([1, 2, 3], device, true).narrow(0, 0, 2).fill_(0),
  },
  {
    what: 'copy_ from a source that requires grad, with grad mode on',
    kind: 'state',
    op: 'copy_',
    expect: ['an operand ([2] float32) requires grad', 'no gradient would reach it', 'detach()'],
    call: (device) => wg.zeros([2], { dtype: 'float32', device }).copy_(f32([1, 2], device, true)),
  },
  {
    what: 'relu_ of a disposed tensor',
    kind: 'state',
    op: 'relu_',
    expect: ['was used after dispose()'],
    call: (device) => {
      const x = f32([1, 2], device);
      x.dispose();
      x.relu_();
    },
  },
  {
    what: 'copy_ from a disposed tensor',
    kind: 'state',
    op: 'copy_',
    expect: ['was used after dispose()'],
    call: (device) => {
      const y = f32([1, 2], device);
      y.dispose();
      f32([0, 0], device).copy_(y);
    },
  },
  {
    what: 'clamp_ with no bound',
    kind: 'wrong type',
    op: 'clamp_',
    expect: ['at least one of min and max must be given'],
    call: (device) => f32([1, 2], device).clamp_(),
  },
  {
    what: 'clamp_ with min above max',
    kind: 'out of range',
    op: 'clamp_',
    expect: ['min (2) must not exceed max (1)'],
    call: (device) => f32([1, 2], device).clamp_(2, 1),
  },
  {
    what: 'fill_ of an int32 tensor with NaN',
    kind: 'out of range',
    op: 'fill_',
    expect: ['the value NaN cannot be converted to int32 without overflow'],
    call: (device) => i32([1, 2], device).fill_(NaN),
  },
  {
    what: 'fill_ of an int32 tensor with 1e10',
    kind: 'out of range',
    op: 'fill_',
    expect: ['the value 10000000000 cannot be converted to int32', '[-2147483648, 2147483647]'],
    call: (device) => i32([1, 2], device).fill_(1e10),
  },
  {
    what: 'fill_ with a string',
    kind: 'wrong type',
    op: 'fill_',
    expect: ['expected a number, a boolean or a 0-d tensor', 'got string'],
    call: (device) => f32([1, 2], device).fill_('1' as never),
  },
  {
    what: 'copy_ from a number',
    kind: 'wrong type',
    op: 'copy_',
    expect: ['expected a Tensor to copy from, got number', 'fill_()'],
    call: (device) => f32([1, 2], device).copy_(3 as never),
  },
  {
    what: 'add_ with a string operand',
    kind: 'wrong type',
    op: 'add_',
    expect: ['expected a Tensor or a number, got string'],
    call: (device) => f32([1, 2], device).add_('1' as never),
  },
  {
    what: 'maskedFill_ with a float mask',
    kind: 'dtype',
    op: 'maskedFill_',
    expect: ['the mask must be a bool tensor', 'got [2] float32'],
    call: (device) => f32([1, 2], device).maskedFill_(f32([1, 0], device), 0),
  },
  {
    what: 'maskedFill_ of an int32 tensor with Infinity',
    kind: 'out of range',
    op: 'maskedFill_',
    expect: ['the value Infinity cannot be converted to int32'],
    call: (device) => i32([1, 2], device).maskedFill_(f32([1, 0], device).gt(0), Infinity),
  },
];

/** Cases that need both devices (they make tensors on cpu and on webgpu whatever the run's device). */
const crossDevice: BadCall[] = [
  {
    what: 'copy_ from a webgpu tensor into a cpu tensor (a synchronous read of the GPU)',
    kind: 'device',
    op: 'copy_',
    expect: ['cannot copy a webgpu tensor ([2] float32) into a cpu tensor synchronously', "x.copy_(await src.to('cpu'))"],
    cpuOnly: true,
    call: () => f32([0, 0], 'cpu').copy_(f32([1, 2], 'webgpu')),
  },
  {
    what: 'add_ of an operand on another device',
    kind: 'device',
    op: 'add_',
    expect: ['all tensors must be on one device', `on webgpu`],
    call: (device) => f32([1, 2], device).add_(f32([1, 2], device === 'webgpu' ? 'cpu' : 'webgpu')),
  },
];

export const cases: BadCall[] = process.env.WEBGRAD_TEST_NO_WEBGPU === '1' ? all : [...all, ...crossDevice];
