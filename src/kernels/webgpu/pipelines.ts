/**
 * Compiled kernels. A kernel is a shaders/*.wgsl file plus a preamble (type aliases and the
 * op's function) and an entry point. Its bind group layout is not `layout: 'auto'`: it is built
 * from wgsl_reflect's reading of the final source, and every dispatch must bind exactly the
 * variables the WGSL declares (by name), so a binder/shader mismatch is a clear error naming
 * both. The uniform struct's packing is derived from the same reflection: its fields are
 * declared once, in the WGSL.
 */
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

export type BindingKind = 'read' | 'read_write' | 'uniform';

export interface BindingInfo {
  name: string;
  binding: number;
  kind: BindingKind;
}

interface UniformField {
  name: string;
  /** Byte offset in the struct. */
  offset: number;
  scalar: 'u32' | 'i32' | 'f32';
  /** Number of scalars (1 for a scalar, 4 for vec4, 8 for array<vec4, 2>...). */
  count: number;
}

export interface UniformLayout {
  name: string;
  size: number;
  fields: UniformField[];
}

export interface KernelSource {
  /** File name, for messages. */
  file: string;
  source: string;
  /** Library WGSL (shaders/lib) the file calls, spliced in between the preamble and the source. */
  lib?: string;
}

export interface KernelSpec {
  shader: KernelSource;
  entry: string;
  /** WGSL prepended to the file: type aliases, the op's function. Lazy: built on a cache miss. */
  preamble: string | (() => string);
  /**
   * A short name for this preamble variant (e.g. 'exp|f32|f32'), so a cache hit costs no
   * string building; without it the preamble text itself is the key.
   */
  variant?: string;
  constants?: Record<string, number>;
}

export interface CompiledKernel {
  /** Distinct per compiled kernel (the bind-group cache's key). */
  id: number;
  label: string;
  module: GPUShaderModule;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  bindings: BindingInfo[];
  uniform: UniformLayout | undefined;
  code: string;
}

function scalarOf(name: string | undefined): 'u32' | 'i32' | 'f32' {
  if (name === 'u32' || name === 'i32' || name === 'f32') return name;
  throw new Error(`uniform fields must be u32, i32 or f32 (or vec4/array of them), got ${name}`);
}

/** Flattens a reflected member type into (scalar kind, scalar count). */
function describeType(t: { name: string; format?: { name: string; format?: { name: string } } | null; count?: number; stride?: number }): { scalar: 'u32' | 'i32' | 'f32'; count: number } {
  if (t.name === 'array') {
    const inner = t.format!;
    const innerDesc = describeType(inner as never);
    if (innerDesc.count !== 4 && innerDesc.count !== 1) throw new Error(`uniform arrays must hold scalars or vec4, got ${inner.name}`);
    if (innerDesc.count === 1 && t.stride !== 16) throw new Error('uniform arrays of scalars have a 16-byte stride; use array<vec4<...>, N>');
    return { scalar: innerDesc.scalar, count: (t.count ?? 0) * 4 };
  }
  const vec = /^vec([234])/.exec(t.name);
  if (vec) {
    const fmt = t.format?.name ?? ({ f: 'f32', i: 'i32', u: 'u32' } as Record<string, string>)[t.name.slice(-1)];
    return { scalar: scalarOf(fmt), count: Number(vec[1]) };
  }
  return { scalar: scalarOf(t.name), count: 1 };
}

/** Reads bindings and the uniform layout of one entry point's module. */
export function reflectBindings(code: string, label: string): { bindings: BindingInfo[]; uniform: UniformLayout | undefined } {
  const r = new WgslReflect(code);
  const bindings: BindingInfo[] = [];
  let uniform: UniformLayout | undefined;
  for (const s of r.storage) {
    if (s.group !== 0) throw new Error(`${label}: binding ${s.name} is in group ${s.group}; kernels use group 0 only`);
    bindings.push({ name: s.name, binding: s.binding, kind: String(s.access) === 'read_write' ? 'read_write' : 'read' });
  }
  for (const u of r.uniforms) {
    if (u.group !== 0) throw new Error(`${label}: binding ${u.name} is in group ${u.group}; kernels use group 0 only`);
    if (uniform) throw new Error(`${label}: kernels have one uniform struct, found ${uniform.name} and ${u.name}`);
    bindings.push({ name: u.name, binding: u.binding, kind: 'uniform' });
    const members = u.members ?? [];
    uniform = {
      name: u.name,
      size: u.size,
      fields: members.map((m) => ({ name: m.name, offset: m.offset, ...describeType(m.type as never) })),
    };
  }
  bindings.sort((a, b) => a.binding - b.binding);
  return { bindings, uniform };
}

export type UniformValues = Record<string, number | readonly number[]>;

/** Packs `values` into `dst` (at byte offset `at`) by the reflected layout; every field must be given. */
export function packUniform(layout: UniformLayout, values: UniformValues, dst: ArrayBuffer, at: number, label: string): void {
  const u32 = new Uint32Array(dst, at, layout.size / 4);
  const i32 = new Int32Array(dst, at, layout.size / 4);
  const f32 = new Float32Array(dst, at, layout.size / 4);
  u32.fill(0);
  for (const key of Object.keys(values)) {
    if (!layout.fields.some((f) => f.name === key)) {
      throw new Error(`${label}: uniform ${layout.name} has no field '${key}' (fields: ${layout.fields.map((f) => f.name).join(', ')})`);
    }
  }
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) {
      if (f.name.startsWith('_pad')) continue;
      throw new Error(`${label}: no value given for uniform field '${f.name}'`);
    }
    const list = typeof v === 'number' ? [v] : v;
    if (list.length > f.count) throw new Error(`${label}: field '${f.name}' holds ${f.count} values, got ${list.length}`);
    const view = f.scalar === 'u32' ? u32 : f.scalar === 'i32' ? i32 : f32;
    list.forEach((x, k) => (view[f.offset / 4 + k] = x));
  }
}

const visibility = 0x4; // GPUShaderStage.COMPUTE (the global may not exist in every runtime at load)

/** Compiles kernels on one device, once per distinct source and entry point. */
export class PipelineCache {
  private cache = new Map<string, CompiledKernel>();
  /** Validation of pipelines built since the last `settled()`. */
  private checks: Promise<void>[] = [];

  constructor(private readonly device: GPUDevice, private readonly onError: (label: string, err: Error) => void) {}

  get size(): number {
    return this.cache.size;
  }

  /** Every kernel built so far (for the compile-all test and diagnostics). */
  all(): CompiledKernel[] {
    return [...this.cache.values()];
  }

  /** Resolves once every pipeline built so far has been validated (errors go to onError). */
  async settled(): Promise<void> {
    const c = this.checks;
    this.checks = [];
    await Promise.all(c);
  }

  get(spec: KernelSpec): CompiledKernel {
    let key = `${spec.shader.file}|${spec.entry}|${spec.variant ?? preambleOf(spec)}`;
    if (spec.constants) for (const c in spec.constants) key += `|${c}=${spec.constants[c]}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const label = `${spec.shader.file}:${spec.entry}`;
    const code = `${preambleOf(spec)}\n${spec.shader.lib ? `${spec.shader.lib}\n` : ''}${spec.shader.source}`;
    let reflected: ReturnType<typeof reflectBindings>;
    try {
      reflected = reflectBindings(code, label);
    } catch (e) {
      const why = (e as Error).message;
      // Our own layout checks name the kernel already; a parse failure inside wgsl_reflect does not.
      if (why.startsWith(label)) throw e;
      throw new Error(`webgpu: kernel ${label} could not be parsed: ${why}\n--- source ---\n${numbered(code)}`);
    }
    const { bindings, uniform } = reflected;
    const layout = this.device.createBindGroupLayout({
      label,
      entries: bindings.map((b) => ({
        binding: b.binding,
        visibility,
        // The uniform is a slot of the backend's arena, chosen per dispatch by a dynamic offset
        // (so bind groups can be reused: webgpu/bindgroups.ts).
        buffer: b.kind === 'uniform' ? { type: 'uniform', hasDynamicOffset: true } : { type: b.kind === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label, code });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entry, ...(spec.constants ? { constants: spec.constants } : {}) },
    });
    this.checks.push(
      this.device.popErrorScope().then(async (err) => {
        if (!err) return;
        const info = await module.getCompilationInfo();
        const msgs = info.messages.map((m) => `  ${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
        this.onError(label, new Error(`webgpu: kernel ${label} failed to build: ${err.message}\n${msgs}\n--- source ---\n${numbered(code)}`));
      }),
    );
    const compiled: CompiledKernel = { id: this.cache.size + 1, label, module, pipeline, layout, bindings, uniform, code };
    this.cache.set(key, compiled);
    return compiled;
  }
}

function preambleOf(spec: KernelSpec): string {
  return typeof spec.preamble === 'string' ? spec.preamble : spec.preamble();
}

export function numbered(code: string): string {
  return code.split('\n').map((l, i) => `${String(i + 1).padStart(4)}  ${l}`).join('\n');
}
