// A module Web Worker that runs the checks (its own wasm backend, whose threads are workers it starts).
import { runChecks } from './checks.js';

self.postMessage(await runChecks('worker'));
