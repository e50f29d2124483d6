// The limits of src/dag/limits.ts as the pure layer applies them: the value guard, the parsers, the
// bounded "did you mean", the linear graph checks, and docs/api.md stating the same numbers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { catalog } from '../../src/catalog.js';
import { stronglyConnected, upstreamAnswers } from '../../src/dag/components.js';
import { guardValue } from '../../src/dag/guard.js';
import * as limits from '../../src/dag/limits.js';
import { upstreamClosure } from '../../src/dag/plan.js';
import { closest, suggestionBudget, withSuggestionBudget } from '../../src/dag/suggest.js';
import { templateRefs } from '../../src/dag/template.js';
import { parsePipelineText, validatePipeline, validatePipelineAsync } from '../../src/dag/validate.js';
import { REQUEST_LIMIT_MS } from '../helpers/hostile.js';

const messages = (issues: { path: string; message: string }[]) => issues.map((i) => `${i.path}: ${i.message}`);
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

test('the guard names NUL, unpaired surrogates, prototype keys, long keys and strings, and non-JSON values at their paths', () => {
  const value = JSON.parse('{"a":"x\\u0000","b":["ok","\\ud800"],"c":{"__proto__":1},"constructor":2,"ok":"\\ud83d\\ude80"}');
  assert.deepEqual(messages(guardValue(value)), [
    'a: must not contain NUL characters (\\u0000)',
    'b[1]: must not contain unpaired UTF-16 surrogates (not valid Unicode)',
    'c.__proto__: "__proto__" is not allowed as a key: it names a member of every object\'s prototype',
    'constructor: "constructor" is not allowed as a key: it names a member of every object\'s prototype',
  ]);
  assert.deepEqual(messages(guardValue({ s: 'x'.repeat(limits.MAX_STRING_LENGTH + 1) })), [`s: must be at most ${limits.MAX_STRING_LENGTH} characters (got ${limits.MAX_STRING_LENGTH + 1})`]);
  const longKey = 'k'.repeat(500);
  const [issue] = guardValue({ [longKey]: 1 });
  assert.ok(issue !== undefined && issue.path.length < 250, 'a long key is clipped in its path');
  assert.deepEqual(messages(guardValue({ n: Infinity, d: new Date(0) })), ['n: expected a finite number, got Infinity', 'd: expected a JSON value, got an object of another kind']);
  assert.deepEqual(guardValue({ ok: [1, 'two', { three: null }], fine: true }), []);
});

test('the guard stops nesting at 32 levels with the path, and walks 100,000 levels without recursing', () => {
  assert.deepEqual(guardValue(nested(limits.MAX_DEPTH - 1)), []);
  assert.deepEqual(messages(guardValue({ a: nested(40) })), [`a${'[0]'.repeat(31)}: nested deeper than 32 levels of objects and arrays`]);
  const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
  assert.equal(guardValue(deep).length, 1);
});

test('the guard lists at most 100 problems, the last saying more were left out', () => {
  const issues = guardValue(Array.from({ length: 500 }, () => '\u0000'));
  assert.equal(issues.length, limits.MAX_ISSUES);
  assert.match(issues.at(-1)?.message ?? '', /more problems not listed/);
});

test('JSON nested past 128 levels is refused before parsing, with line:col; up to that the value is built', () => {
  const result = parsePipelineText(`{"a":\n${'['.repeat(200_000)}${']'.repeat(200_000)}}`, 'json');
  assert.ok(!result.ok);
  assert.equal(result.errors[0]?.message, '2:128: nested deeper than 128 levels of objects and arrays');
  assert.ok(parsePipelineText(JSON.stringify(nested(100)), 'json').ok);
  // Brackets inside strings do not count.
  assert.ok(parsePipelineText(JSON.stringify({ s: '['.repeat(1000) }), 'json').ok);
});

test('YAML flow nesting past 128 levels is refused from its tokens, fast', () => {
  const start = performance.now();
  const result = parsePipelineText(`a: ${'['.repeat(300_000)}${']'.repeat(300_000)}`);
  assert.ok(!result.ok);
  assert.match(result.errors[0]?.message ?? '', /^1:\d+: nested deeper than 128 levels/);
  assert.ok(performance.now() - start < 1000);
  assert.ok(parsePipelineText('a: "[[[[[[[[[["\nb: |\n  [[[[[[[[\n').ok, 'brackets in scalars do not count');
});

test('YAML aliases are measured as expanded: past 1 MiB or through their own anchor they are refused, below they share the value', () => {
  const blob = 'x'.repeat(60_000);
  const big = `a: &a "${blob}"\nb: [${Array.from({ length: 20 }, () => '*a').join(', ')}]\n`;
  const refused = parsePipelineText(big);
  assert.ok(!refused.ok);
  assert.match(refused.errors[0]?.message ?? '', /expands \(aliases included\) to more than 1048576 bytes/);
  const laughs = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`)].join('\n');
  const start = performance.now();
  assert.ok(!parsePipelineText(laughs).ok);
  assert.ok(performance.now() - start < 1000, 'measured without being built');
  const self = parsePipelineText('a: &a [1, *a]\n');
  assert.ok(!self.ok);
  assert.match(self.errors[0]?.message ?? '', /contains it/);
  const shared = parsePipelineText('base: &b { ms: 5 }\nx: *b\ny: *b\n');
  assert.ok(shared.ok);
  assert.deepEqual(shared.value, { base: { ms: 5 }, x: { ms: 5 }, y: { ms: 5 } });
});

test('YAML duplicate keys are found in linear time: 100,000 keys take about twice what 50,000 do', () => {
  const doc = (n: number) => `${Array.from({ length: n }, (_, i) => `k${i}: 1`).join('\n')}\nk0: 2\n`;
  const time = (n: number) => {
    const start = performance.now();
    const result = parsePipelineText(doc(n));
    assert.ok(!result.ok);
    assert.deepEqual(result.errors.map((e) => e.message), [`${n + 1}:1: Map keys must be unique`]);
    return performance.now() - start;
  };
  time(10_000); // warm-up
  const small = time(50_000);
  const large = time(100_000);
  assert.ok(large < small * 4, `50,000 keys ${Math.round(small)} ms, 100,000 keys ${Math.round(large)} ms`);
  assert.ok(!parsePipelineText('? [a, b]\n: 1\n').ok, 'a key that is not a scalar is refused');
});

test('"did you mean" is offered for short names only, among a bounded list, within a budget', () => {
  assert.equal(closest('need', ['needs', 'config']), 'needs');
  assert.equal(closest('frist', ['first']), 'first');
  assert.equal(closest(`${'a'.repeat(40)}b`, [`${'a'.repeat(40)}c`]), undefined);
  const far = Array.from({ length: 1000 }, (_, i) => `unrelated_${i}`);
  assert.equal(closest('neds', [...far, 'needs']), undefined, 'candidates past the first 1,000 are not considered');
  assert.equal(closest('neds', ['needs', ...far]), 'needs');
  const budget = suggestionBudget(2);
  const found = withSuggestionBudget(budget, () => [closest('neds', ['needs']), closest('neds', ['needs']), closest('neds', ['needs'])]);
  assert.deepEqual(found, ['needs', 'needs', undefined]);
});

test('strongly connected parts come upstream first, each in spec order', () => {
  const nodes = [
    { id: 'a', needs: ['c'] },
    { id: 'b', needs: ['a'] },
    { id: 'c', needs: ['b'] },
    { id: 'd', needs: ['a', 'ghost'] },
    { id: 'e', needs: [] },
  ];
  assert.deepEqual(stronglyConnected(nodes), [[0, 1, 2], [3], [4]]);
  const chain = Array.from({ length: 100_000 }, (_, i) => ({ id: `n${i}`, needs: i === 0 ? [] : [`n${i - 1}`] }));
  assert.equal(stronglyConnected(chain).length, 100_000, 'a long chain does not overflow the stack');
});

test('upstream answers agree with the transitive closure on random graphs, cycles included', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.nat(11), { maxLength: 3 }), { minLength: 1, maxLength: 12 }), fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 10 }), (needs, asks) => {
      const nodes = needs.map((n, i) => ({ id: `n${i}`, needs: n.filter((j) => j < needs.length && j !== i).map((j) => `n${j}`) }));
      const queries = asks.filter(([from]) => from < nodes.length).map(([from, to]) => ({ needs: (nodes[from] as { needs: string[] }).needs, targets: [`n${to}`] }));
      const answers = upstreamAnswers(nodes, queries);
      queries.forEach((q, k) => {
        const target = q.targets[0] as string;
        const expected = q.needs.includes(target) || q.needs.some((id) => upstreamClosure(nodes, id).has(target));
        assert.equal(answers[k]?.[0], expected, JSON.stringify({ nodes, q }));
      });
    }),
    { numRuns: 300 },
  );
});

test('template matching is linear: a string of 60,000 spaces after {{ is scanned at once', () => {
  const start = performance.now();
  assert.deepEqual(templateRefs(`{{${' '.repeat(60_000)}`), []);
  assert.deepEqual(templateRefs(`{{ a }}${'{{ b'.repeat(10_000)}`).map((r) => r.ref), [['a']]);
  assert.ok(performance.now() - start < 500);
  assert.deepEqual(templateRefs('{{   params.since  }}').map((r) => r.ref), [['params', 'since']]);
});

// Within a second on a quiet machine (SLUICE_STRICT_TIMING=1); the suite's usual bound allows for shared cores.
test('10,000 nodes each needing a near-miss id validate within a second, listing the first 100 problems', async () => {
  const id = (i: number) => `node_${String(i).padStart(5, '0')}`;
  const spec = { name: 'near', nodes: Array.from({ length: limits.MAX_NODES }, (_, i) => ({ id: id(i), type: 'control.sleep', needs: [`${id((i + 1) % limits.MAX_NODES)}x`], config: { ms: 1 } })) };
  const start = performance.now();
  const result = await validatePipelineAsync(spec, catalog);
  const ms = performance.now() - start;
  assert.ok(ms < REQUEST_LIMIT_MS, `${Math.round(ms)} ms (limit ${REQUEST_LIMIT_MS} ms)`);
  assert.ok(!result.ok);
  assert.equal(result.errors.length, 100);
  assert.equal(result.errors[0]?.path, 'nodes[0].needs[0]');
  assert.match(result.errors[0]?.message ?? '', /unknown node "node_00001x" \(did you mean "node_00001"\?\)/);
});

test('every cycle of many independent ones is reported, up to the 100 listed', () => {
  const nodes = Array.from({ length: 400 }, (_, i) => ({ id: `n${i}`, type: 'control.sleep', needs: [`n${i ^ 1}`], config: { ms: 1 } }));
  const result = validatePipeline({ name: 'cycles', nodes }, catalog);
  assert.ok(!result.ok);
  assert.equal(result.errors.filter((e) => e.message.startsWith('cycle')).length, 99);
  assert.equal(result.errors[0]?.message, 'cycle n0 -> n1 -> n0');
  assert.match(result.errors.at(-1)?.message ?? '', /more problems not listed/);
});

test('docs/api.md states the limits the code enforces', () => {
  const docs = fs.readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const section = docs.slice(docs.indexOf('## Limits'), docs.indexOf('\n## ', docs.indexOf('## Limits') + 1));
  const n = (v: number) => v.toLocaleString('en-US');
  for (const stated of [
    `${limits.MAX_SPEC_BYTES / 1024 / 1024} MiB`,
    `${limits.MAX_YAML_SPEC_BYTES / 1024} KiB`,
    `${limits.MAX_RUN_BODY_BYTES / 1024} KiB`,
    `${limits.MAX_KEY_BODY_BYTES / 1024} KiB`,
    `${limits.MAX_DEPTH} levels`,
    `${limits.MAX_PARSE_DEPTH} levels`,
    `${n(limits.MAX_STRING_LENGTH)} characters`,
    `${limits.MAX_KEY_LENGTH} characters`,
    `${n(limits.MAX_NODES)}`,
    `${limits.MAX_PARAMS}`,
    `${limits.MAX_PIPELINE_NAME_LENGTH} characters`,
    `${limits.MAX_NODE_ID_LENGTH} characters`,
    `${limits.MAX_SITE_LENGTH} characters`,
    `${n(limits.MAX_DESCRIPTION_LENGTH)} characters`,
    `${n(limits.MAX_SHORT_TEXT_LENGTH)} characters`,
    `${n(limits.MAX_INT32)}`,
    `${n(limits.MAX_DURATION_MS)} ms`,
    `${limits.YAML_PARSE_TIMEOUT_MS / 1000} s`,
    `${limits.MAX_ECHO} characters`,
    `${limits.MAX_ISSUES} errors`,
    `${limits.MAX_SUGGEST_LENGTH} characters`,
    `${n(limits.MAX_SUGGEST_CANDIDATES)} candidates`,
    `${limits.MAX_SUGGESTIONS} names`,
  ]) {
    assert.ok(section.includes(stated), `the Limits section states ${stated}`);
  }
});
