#!/usr/bin/env -S node --max-semi-space-size=2
// The `sluice` command. Sources are TypeScript, run through tsx (no build step).
// A small young generation (2 MB semi-spaces instead of 16) keeps a worker's memory ~40 MB lower
// at no measured cost in speed (README, "Benchmark"); `node --max-semi-space-size=N bin/sluice.js`
// overrides it.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
