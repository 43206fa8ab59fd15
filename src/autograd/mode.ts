/**
 * Grad mode: whether ops record the graph. On by default; `noGrad(fn)` turns it off for fn
 * (inference, optimizer updates), `enableGrad(fn)` turns it back on inside such a region.
 *
 * Recording is also off while an op computes its own forward (see `trace` in node.ts): an op
 * built from other ops is one node in the graph, not one node per inner op.
 */

let enabled = true;

/** Whether ops called now record the graph for autograd. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Sets grad mode and returns the previous one. For async code, where `noGrad(fn)` cannot span
 * an `await`: `const prev = setGradEnabled(false); try { ... } finally { setGradEnabled(prev); }`.
 */
export function setGradEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

function runWith<T>(name: string, on: boolean, fn: () => T): T {
  const prev = setGradEnabled(on);
  try {
    const r = fn();
    if (r instanceof Promise) {
      throw new Error(`${name}: the function returned a Promise; ${name} only takes synchronous functions (for async code use setGradEnabled)`);
    }
    return r;
  } finally {
    enabled = prev;
  }
}

/** Runs `fn` without recording the graph: results do not require grad. Like `torch.no_grad()`. */
export function noGrad<T>(fn: () => T): T {
  return runWith('noGrad', false, fn);
}

/** Runs `fn` with recording on, even inside `noGrad`. Like `torch.enable_grad()`. */
export function enableGrad<T>(fn: () => T): T {
  return runWith('enableGrad', true, fn);
}
