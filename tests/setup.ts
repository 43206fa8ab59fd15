// Runs in every test worker before each test file.
import { manualSeed } from '../src/core/random.js';

process.env.EGL_PLATFORM ??= 'surfaceless';

// The lavapipe project (vitest.config.ts) needs Mesa 25's Vulkan driver in .cache/lavapipe.
if (process.env.WEBGRAD_TEST_ADAPTER === 'lavapipe' && !process.env.WEBGRAD_TEST_LAVAPIPE_ICD) {
  throw new Error(
    'the lavapipe test project needs Mesa 25\'s Vulkan driver in .cache/lavapipe: run `bash scripts/setup-lavapipe.sh` ' +
      '(Debian 12, as root; scripts/setup.sh runs it), or declare WEBGRAD_TEST_NO_LAVAPIPE=1 to leave the project out',
  );
}

// Every file starts from the same seed, so a run's random inputs are the same on every machine
// and a failure can be replayed: WEBGRAD_TEST_SEED=<n> npm test tries other data.
const seed = Number(process.env.WEBGRAD_TEST_SEED ?? 20261202);
manualSeed(seed);
