// jsonl.read and jsonl.write through the connector conformance suite (test/conformance), on real
// files in a temporary directory: two files read in name order (plain, and gzip as a variant), a
// file with broken lines, and written parts read back line by line with JSON.parse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Row } from '../../../src/kit/index.js';
import { conformance } from '../../../test/conformance/index.js';
import { finishedParts, writeFile, writeSplitInputs } from '../../../test/helpers/files.js';
import { jsonl } from '../index.js';

const ROWS = 20;
const row = (i: number): Row => ({
  id: i,
  label: i % 5 === 0 ? `with "quotes", commas and é ${i}` : i % 7 === 0 ? `two\nlines ${i}` : `row ${i}`,
  amount: `${i}.${String(i % 100).padStart(2, '0')}`,
  tags: i % 3 === 0 ? null : [`t${i}`, { n: i }],
});

conformance(jsonl, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-conformance-'));
  const write = (file: string, text: string) => writeFile(dir, file, text);
  writeSplitInputs(dir, 'jsonl', ROWS, (i) => JSON.stringify(row(i)), '');
  write('bad.jsonl', '{"id":1,"label":"one"}\n{broken\n[1,2]\n{"id":"x","label":"four"}\n{"id":5,"label":"five"}\n');
  fs.writeFileSync(path.join(dir, 'a-file'), 'not a directory');
  const types = { id: 'int', label: 'text', amount: 'numeric', tags: 'json' };
  const read = (sub: string) => ({ path: path.join(dir, sub), batchSize: 3, types });

  return {
    nodes: {
      read: {
        kind: 'source',
        config: read('plain'),
        rows: Array.from({ length: ROWS }, (_, k) => row(k + 1)),
        variants: { gzip: read('gz') },
        bad: { config: { ...read('bad.jsonl'), batchSize: 2 }, positions: ['bad.jsonl line 2', 'bad.jsonl line 3', 'bad.jsonl line 4'] },
        broken: [{ why: 'a missing file', config: { path: path.join(dir, 'missing.jsonl') }, names: 'config.path' }],
        invalid: [{ config: { path: 'x.jsonl', types: { id: 'integer' } }, path: 'config.types.id' }],
      },
      write: {
        kind: 'sink',
        config: (dest) => ({ path: path.join(dir, 'out', dest) }),
        async readBack(dest) {
          return finishedParts(path.join(dir, 'out', dest), 'jsonl')
            .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((line) => line !== ''))
            .map((line) => JSON.parse(line) as Row);
        },
        broken: [{ why: 'a path under a regular file', config: { path: path.join(dir, 'a-file', 'out') }, names: 'config.path' }],
        invalid: [{ config: { path: 'out', gzip: 'auto' }, path: 'config.gzip' }],
      },
    },
    async close() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
