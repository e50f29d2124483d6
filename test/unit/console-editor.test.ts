// The console editor's pure parts: where the API's 422 and 400 errors land in the YAML that was
// sent, and the versions' line diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineDiff, placeErrors } from '../../src/console/placing.js';

const TEXT = `name: orders
nodes:
  - id: extract
    type: postgres.read
    config:
      tabel: items
  - id: load
    type: control.sleep
    needs: [extarct]
    config:
      ms: 1
`;

test('a 422 error lands on the line of what its path names; a path not in the text is not placed', () => {
  const [needs, table, missing, root] = placeErrors(TEXT, 422, [
    { path: 'nodes[1].needs[0]', message: 'unknown node "extarct"' },
    { path: 'nodes[0].config.tabel', message: 'unknown key' },
    { path: 'schedules[3]', message: 'nowhere' },
    { path: '(root)', message: 'the spec' },
  ]);
  assert.equal(needs!.line, 9);
  assert.equal(TEXT.slice(needs!.from!, needs!.to!), 'extarct');
  assert.equal(table!.line, 6);
  assert.equal(TEXT.slice(table!.from!, table!.to!), 'tabel');
  assert.deepEqual([missing!.line, missing!.from], [null, null]);
  assert.deepEqual([root!.line, root!.from], [null, null]);
});

test("a 400's line:col is placed there, and its message loses the prefix", () => {
  const [e] = placeErrors(TEXT, 400, [{ path: 'body', message: '4:11: bad indentation' }]);
  assert.equal(e!.line, 4);
  assert.equal(e!.message, 'bad indentation');
  assert.equal(TEXT.slice(e!.from!, e!.to!), 'postgres.read');
  const [past] = placeErrors('a: 1\n', 400, [{ path: 'body', message: '99:1: past the end' }]);
  assert.equal(past!.line, 2, 'clamped to the last line');
});

test('the line diff marks changed lines removed and added, the rest the same', () => {
  const d = lineDiff('a: 1\nb: 2\nc: 3\n', 'a: 1\nb: 5\nc: 3\nd: 4\n');
  assert.deepEqual(d, [
    { kind: 'same', text: 'a: 1' },
    { kind: 'removed', text: 'b: 2' },
    { kind: 'added', text: 'b: 5' },
    { kind: 'same', text: 'c: 3' },
    { kind: 'added', text: 'd: 4' },
  ]);
});
