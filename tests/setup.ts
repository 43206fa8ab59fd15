// Runs in every test worker before each test file.
import { manualSeed } from '../src/core/random.js';

process.env.EGL_PLATFORM ??= 'surfaceless';

// Every file starts from the same seed, so a run's random inputs are the same on every machine
// and a failure can be replayed: WEBGRAD_TEST_SEED=<n> npm test tries other data.
const seed = Number(process.env.WEBGRAD_TEST_SEED ?? 20261202);
manualSeed(seed);
