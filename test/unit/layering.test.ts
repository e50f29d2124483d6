// The layering rules (.dependency-cruiser.cjs) hold on the real tree, and each rule fires on a
// small tree that breaks it, so a rule that silently matched nothing would fail here too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

async function violations(dirs: string[], baseDir?: string): Promise<string[]> {
  const { output } = await cruise(dirs, { ...config.options, ruleSet: { forbidden: config.forbidden ?? [] }, validate: true, ...(baseDir ? { baseDir } : {}) });
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
}

test('the source tree keeps its layers: workflows, dag, kit, connectors, no cycles', async () => {
  assert.deepEqual(await violations(['src', 'connectors']), []);
});

test('every layering rule fires on an import that breaks it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-layers-'));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    'src/dag/spec.ts': "import fs from 'node:fs';\nexport const x = fs;\n",
    'src/workflows/workflow.ts': "import { run } from '../activities/executor.js';\nexport const w = run;\n",
    'src/activities/executor.ts': "import { app } from '../api/app.js';\nexport const run = app;\n",
    'src/api/app.ts': 'export const app = 1;\n',
    'src/kit/index.ts': "import { run } from '../activities/executor.js';\nexport const k = run;\n",
    'connectors/a/index.ts': "import { run } from '../../src/activities/executor.js';\nimport { b } from '../b/index.js';\nexport const a = [run, b];\n",
    'connectors/b/index.ts': "import { k } from '../../src/kit/index.js';\nexport const b = k;\n",
    'connectors/index.ts': "import { store } from '../src/store/store.js';\nexport const all = store;\n",
    'src/store/store.ts': "import { again } from './cycle.js';\nexport const store = again;\n",
    'src/store/cycle.ts': "import { store } from './store.js';\nexport const again = () => store;\n",
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  try {
    const found = await violations(['src', 'connectors'], dir);
    const fired = new Set(found.map((v) => v.split(':')[0]));
    for (const rule of config.forbidden ?? []) assert.ok(fired.has(rule.name ?? ''), `rule ${rule.name} did not fire; violations: ${found.join('; ')}`);
    assert.ok(found.includes('connector-only-kit: connectors/a/index.ts -> connectors/b/index.ts'), 'a connector importing another connector is refused');
    assert.ok(!found.some((v) => v.startsWith('connector-only-kit: connectors/b/')), 'importing the kit is allowed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
