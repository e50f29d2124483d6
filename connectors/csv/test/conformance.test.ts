// csv.read and csv.write through the connector conformance suite (test/conformance), on real files
// in a temporary directory: two files read in name order (plain, and gzip as a variant), a file
// with broken lines, and written parts read back with csv-parse, an independent CSV reader.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Row } from '../../../src/kit/index.js';
import { conformance } from '../../../test/conformance/index.js';
import { finishedParts, writeFile, writeSplitInputs } from '../../../test/helpers/files.js';
import { csv } from '../index.js';

const ROWS = 20;
const label = (i: number) => (i % 5 === 0 ? `with, comma "and quotes" ${i}` : i % 7 === 0 ? `two\nlines ${i}` : `row ${i} ✓`);
const amount = (i: number) => `${i}.${String(i % 100).padStart(2, '0')}`;
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

conformance(csv, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-csv-conformance-'));
  const write = (file: string, text: string) => writeFile(dir, file, text);
  writeSplitInputs(dir, 'csv', ROWS, (i) => `${i},${quote(label(i))},${amount(i)}`, 'id,label,amount\n');
  write('bad.csv', 'id,label,amount\n1,one,1.00\n2,two\n3,three,x\n4,"four"x,4.00\n5,five,5.00\n');
  fs.writeFileSync(path.join(dir, 'a-file'), 'not a directory');
  const read = (sub: string) => ({ path: path.join(dir, sub), batchSize: 3, types: { id: 'int', amount: 'numeric' } });

  return {
    nodes: {
      read: {
        kind: 'source',
        config: read('plain'),
        rows: Array.from({ length: ROWS }, (_, k): Row => ({ id: k + 1, label: label(k + 1), amount: amount(k + 1) })),
        variants: { gzip: read('gz') },
        bad: { config: { ...read('bad.csv'), batchSize: 2 }, positions: ['bad.csv line 3', 'bad.csv line 4', 'bad.csv line 5'] },
        broken: [{ why: 'a missing file', config: { path: path.join(dir, 'missing.csv') }, names: 'config.path' }],
        invalid: [{ config: { path: 'x.csv', header: false }, path: 'config.columns' }],
      },
      write: {
        kind: 'sink',
        config: (dest) => ({ path: path.join(dir, 'out', dest) }),
        async readBack(dest) {
          // Unquoted empty fields are null, quoted ones empty text: what csv.write writes and PostgreSQL reads.
          return finishedParts(path.join(dir, 'out', dest), 'csv').flatMap(
            (f) => parse(fs.readFileSync(f), { columns: true, cast: (value, ctx) => (value === '' && !ctx.quoting ? null : value) }) as Row[],
          );
        },
        broken: [{ why: 'a path under a regular file', config: { path: path.join(dir, 'a-file', 'out') }, names: 'config.path' }],
        invalid: [{ config: { path: 'out', delimiter: '"' }, path: 'config.delimiter' }],
      },
    },
    async close() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
