declare module '*.wgsl' {
  const source: string;
  export default source;
}
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}

// The wasm backend's compiled kernels, as bytes (esbuild's loader: binary; the vitest plugin does the same).
declare module '*.wasm' {
  const bytes: Uint8Array;
  export default bytes;
}
