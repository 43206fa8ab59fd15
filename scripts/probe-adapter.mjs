#!/usr/bin/env node
// Prints the WebGPU adapter Dawn finds in this process (exit 0), or why there is none (exit 1).
// Used by scripts/setup.sh; tries the same backends, in the same order, as webgrad.init().
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
process.env.EGL_PLATFORM ??= 'surfaceless';
const tries = process.env.WEBGRAD_DAWN_BACKEND
  ? [[process.env.WEBGRAD_DAWN_BACKEND, 'core'], [process.env.WEBGRAD_DAWN_BACKEND, 'compatibility']]
  : [[undefined, 'core'], ['opengles', 'compatibility']];
for (const [backend, featureLevel] of tries) {
  const gpu = create(backend ? [`backend=${backend}`] : []);
  const adapter = await gpu.requestAdapter({ featureLevel });
  if (adapter) {
    const i = adapter.info;
    console.log(`WebGPU adapter: ${i.description || i.device || i.vendor} (Dawn backend ${backend ?? 'default'}, ${featureLevel} feature level)`);
    process.exit(0);
  }
}
console.log('WebGPU adapter: none found');
process.exit(1);
