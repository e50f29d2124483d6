// Installs the locked dependencies when node_modules is missing or older than the lockfile, and
// builds the console (dist/console) when it is missing or older than its sources, so `npm run demo`
// and `npm test` work as the first commands on a fresh checkout.
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !fs.existsSync(marker) || fs.statSync(marker).mtimeMs < fs.statSync('package-lock.json').mtimeMs;
if (stale) {
  console.error('sluice: installing dependencies (npm ci)...');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
// About a second when it builds, a quarter of that when the build is fresh.
execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-console.ts', '--if-stale'], { stdio: 'inherit' });
