/**
 * Workgroup-wide reductions, with subgroups where the device has them.
 *
 * A kernel that reduces across a workgroup (a row per workgroup: reduce.wgsl's
 * reduce_workgroup, softmax.wgsl's row and chunk_stats, cross_entropy.wgsl's main, row_norm.wgsl's
 * forward and backward (layerNorm, groupNorm), batch_norm_stats.wgsl's main and main4,
 * batch_norm.wgsl's backward_sums and backward_sums4) takes its builtins as one struct,
 * `GroupIds`, and calls reducer functions by name; both come from its preamble, written here
 * (groupLib). Without subgroups a reducer is a tree in workgroup memory: log2(WG) + 1 barriers.
 * With them it is the subgroup's own reduction (subgroupAdd, subgroupMax...), one value per
 * subgroup into workgroup memory, one barrier, and every subgroup combining those values in
 * the same order (so every invocation gets the same bits) with a second subgroup reduction.
 *
 * That layout assumes what Vulkan, Metal and D3D12 drivers do with a 1-D workgroup whose size
 * is a multiple of the subgroup size: subgroup s holds invocations [s * size, (s + 1) * size),
 * lane i of it being local index s * size + i. The WebGPU spec does not promise it, so the
 * device is checked once when it is acquired (checkSubgroupLayout: a kernel that records every
 * invocation's lane and its subgroup's least and greatest local index); a device that fails
 * runs the trees.
 *
 * The reducers are helper functions with their barriers inside, each with its own workgroup
 * array. On Mesa 22.3's llvmpipe (OpenGL ES), one tree reducer called twice in a row (a mean,
 * then a variance) returned a wrong second result, where Vulkan's lavapipe (Mesa 25) gave the
 * right one: a kernel that reduces in turn uses a reducer per pass (row_norm.wgsl's group_sum,
 * then group_sum_b), and is tested with its workgroup entries forced on both adapters.
 */

/** Whether kernels use subgroups on devices that have them (tests toggle it to compare both on one device). */
export const SUBGROUPS = { enabled: true };

/** What the device says of subgroups (AdapterReport.subgroups). */
export interface SubgroupReport {
  /** The adapter has the 'subgroups' feature. */
  available: boolean;
  /** The device was created with it and passed the layout check: kernels use subgroups. */
  used: boolean;
  /** The adapter's subgroup sizes (info.subgroupMinSize / subgroupMaxSize), where it says. */
  sizes?: [number, number];
  /** Why they are not used, where available. */
  reason?: string;
}

/** Whether kernels dispatched on this device now use subgroups. */
export function useSubgroups(report: { subgroups?: SubgroupReport }): boolean {
  return SUBGROUPS.enabled && report.subgroups?.used === true;
}

/** One workgroup-wide reducer: `fn name(ids: GroupIds, v: type) -> type`. */
export interface GroupReducer {
  name: string;
  /** WGSL value type (f32, i32). */
  type: string;
  /** WGSL expression of the identity. */
  identity: string;
  /** WGSL combining two values, as the tree does. */
  combine: (a: string, b: string) => string;
  /** WGSL of the subgroup's reduction of a value: the same operation as combine. */
  subgroup: (v: string) => string;
}

/**
 * The reducers' WGSL for a kernel's preamble: `enable subgroups;` first where they are used
 * (the directive must open the module), the `GroupIds` struct (workgroup_id, num_workgroups,
 * local_invocation_index as wid, nwg, lid; with subgroups also lane and sg), and each reducer
 * with its own workgroup array. Every invocation gets the result; every invocation of the
 * workgroup must call a reducer (it has barriers). The kernel declares `override WG`, a power of two.
 */
export function groupLib(subgroups: boolean, reducers: readonly GroupReducer[]): string {
  const ids = subgroups
    ? 'struct GroupIds {\n  @builtin(workgroup_id) wid: vec3<u32>,\n  @builtin(num_workgroups) nwg: vec3<u32>,\n  @builtin(local_invocation_index) lid: u32,\n  @builtin(subgroup_invocation_id) lane: u32,\n  @builtin(subgroup_size) sg: u32,\n}\n'
    : 'struct GroupIds {\n  @builtin(workgroup_id) wid: vec3<u32>,\n  @builtin(num_workgroups) nwg: vec3<u32>,\n  @builtin(local_invocation_index) lid: u32,\n}\n';
  const fns = reducers.map((r) => {
    const arr = `group_red_${r.name}`;
    const comb = r.combine;
    const sg = r.subgroup;
    const head = `var<workgroup> ${arr}: array<${r.type}, WG>;\nfn ${r.name}(ids: GroupIds, v: ${r.type}) -> ${r.type} {\n`;
    if (!subgroups) {
      return head +
        `  ${arr}[ids.lid] = v;\n  workgroupBarrier();\n` +
        `  for (var s = WG / 2u; s > 0u; s = s / 2u) {\n    if (ids.lid < s) { ${arr}[ids.lid] = ${comb(`${arr}[ids.lid]`, `${arr}[ids.lid + s]`)}; }\n    workgroupBarrier();\n  }\n` +
        `  let r = ${arr}[0];\n  workgroupBarrier(); // all have read it before a next call writes\n  return r;\n}\n`;
    }
    return head +
      `  let t = ${sg('v')};\n  if (ids.lane == 0u) { ${arr}[ids.lid / ids.sg] = t; }\n  workgroupBarrier();\n` +
      `  var w: ${r.type} = ${r.identity};\n  for (var i = ids.lane; i < WG / ids.sg; i += ids.sg) { w = ${comb('w', `${arr}[i]`)}; }\n` +
      `  let r = ${sg('w')};\n  workgroupBarrier(); // all have read before a next call writes\n  return r;\n}\n`;
  });
  return `${subgroups ? 'enable subgroups;\n' : ''}${ids}${fns.join('')}`;
}

/** A sum reducer of f32 or of a vector of f32 (one reduction for several sums: `group_sum2(ids, vec2<f32>(a, b))`). */
export function f32Sum(name: string, type: 'f32' | 'vec2<f32>' | 'vec3<f32>' | 'vec4<f32>' = 'f32'): GroupReducer {
  return { name, type, identity: type === 'f32' ? '0.0' : `${type}()`, combine: (a, b) => `${a} + ${b}`, subgroup: (v) => `subgroupAdd(${v})` };
}

/** f32 sum and NaN-propagating max (shaders/lib/math_f32.wgsl's max_c, is_nan), as group_sum and group_max. */
export const F32_SUM_MAX: readonly GroupReducer[] = [
  f32Sum('group_sum'),
  // subgroupMax leaves NaN to the implementation: a NaN anywhere makes the result NaN, as max_c does.
  { name: 'group_max', type: 'f32', identity: '-f32_inf()', combine: (a, b) => `max_c(${a}, ${b})`, subgroup: (v) => `select(subgroupMax(${v}), f32_nan(), subgroupAny(is_nan(${v})))` },
];

const LAYOUT_CHECK = `enable subgroups;
override WG: u32 = 256u;
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let lo = subgroupMin(lid);
  let hi = subgroupMax(lid);
  o[lid] = select(0u, 1u, WG % sg == 0u && lane == lid % sg && lo == lid - lane && hi == lo + sg - 1u);
}
`;

/**
 * Runs the layout check (see the top of this file) on a device created with 'subgroups', with
 * WG invocations per workgroup; resolves to undefined where the layout holds, else the reason.
 */
export async function checkSubgroupLayout(device: GPUDevice, wg: number): Promise<string | undefined> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: 'webgrad subgroup layout check', code: LAYOUT_CHECK });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main', constants: { WG: wg } } });
  const out = device.createBuffer({ size: 4 * wg, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 4 * wg, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }));
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, 4 * wg);
  device.queue.submit([enc.finish()]);
  const error = await device.popErrorScope();
  try {
    if (error) return `the layout check did not compile: ${error.message}`;
    await read.mapAsync(GPUMapMode.READ);
    const ok = new Uint32Array(read.getMappedRange());
    const bad = ok.findIndex((v) => v !== 1);
    read.unmap();
    return bad < 0 ? undefined : `subgroups are not runs of consecutive local indices (invocation ${bad} of ${wg})`;
  } finally {
    out.destroy();
    read.destroy();
  }
}
