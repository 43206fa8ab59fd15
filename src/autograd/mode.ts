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
 * Sets grad mode and returns the previous one:
 * `const prev = setGradEnabled(false); try { ... } finally { setGradEnabled(prev); }`.
 */
export function setGradEnabled(on: boolean): boolean {
  if (typeof on !== 'boolean') throw new Error(`setGradEnabled: expected true or false, got ${typeof on === 'string' ? `'${on}'` : String(on)}`);
  const prev = enabled;
  enabled = on;
  return prev;
}

function runWith<T>(name: string, on: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`${name}: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  const prev = setGradEnabled(on);
  let r: T;
  try {
    r = fn();
  } catch (e) {
    enabled = prev;
    throw e;
  }
  if (r instanceof Promise) {
    // An async fn: the mode holds until its promise settles, then the previous one returns.
    return r.finally(() => {
      enabled = prev;
    }) as T;
  }
  enabled = prev;
  return r;
}

/**
 * Runs `fn` without recording the graph: results do not require grad. Like `torch.no_grad()`.
 * `fn` may be async: the mode holds until its promise settles. The mode is one global flag, so
 * other async work that runs during fn's awaits sees it too (JavaScript has no per-task state
 * that works in browsers); do not interleave a training step with an async noGrad region.
 */
export function noGrad<T>(fn: () => T): T {
  return runWith('noGrad', false, fn);
}

/** Runs `fn` with recording on, even inside `noGrad`. Like `torch.enable_grad()`; async as for `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return runWith('enableGrad', true, fn);
}
