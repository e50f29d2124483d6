// `npm run bench:validate`: how long validating the largest specs takes, against a baseline measured
// in the same run (JSON.parse of the same text), so the numbers read the same on a busy machine.
// Specs (MAX_NODES nodes each):
//   chain       a valid chain whose every node reads the first node's outputs through a template
//               (the reachability check), in the spec's own JSON form
//   near-miss   every node needs a near-miss id of another ("node_00001x"): every need is unknown
//               and a "did you mean" candidate for each (the case that once took minutes)
//   cycles      5,000 independent two-node cycles (one strongly connected part each)
// Prints, per spec, the median of BENCH_REPEAT runs (default 5) of validatePipeline, of
// validatePipelineAsync (the API's, which yields to the event loop), and of JSON.parse, and the ratio.
// Target: each under a second. It prints numbers; it is not a timed test.
import { catalog } from '../src/catalog.js';
import { MAX_NODES } from '../src/dag/limits.js';
import { validatePipeline, validatePipelineAsync } from '../src/dag/validate.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const N = MAX_NODES;
const pad = (i: number) => String(i).padStart(5, '0');

const specs: Record<string, unknown> = {
  chain: {
    name: 'bench-chain',
    nodes: Array.from({ length: N }, (_, i) => ({
      id: `node_${pad(i)}`,
      type: 'control.sleep',
      needs: i === 0 ? [] : [`node_${pad(i - 1)}`],
      config: { ms: i < 2 ? 1 : '{{ nodes.node_00000.outputs.ms }}' },
    })),
  },
  'near-miss': {
    name: 'bench-near-miss',
    nodes: Array.from({ length: N }, (_, i) => ({ id: `node_${pad(i)}`, type: 'control.sleep', needs: [`node_${pad((i + 1) % N)}x`], config: { ms: 1 } })),
  },
  cycles: {
    name: 'bench-cycles',
    nodes: Array.from({ length: N }, (_, i) => ({ id: `node_${pad(i)}`, type: 'control.sleep', needs: [`node_${pad(i ^ 1)}`], config: { ms: 1 } })),
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function measure(run: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
console.log(`validating specs of ${N} nodes, median of ${REPEAT} runs (baseline: JSON.parse of the same text)`);
for (const [name, spec] of Object.entries(specs)) {
  const text = JSON.stringify(spec);
  // Validation does not change its input: one parsed value serves every run.
  const value: unknown = JSON.parse(text);
  const result = validatePipeline(value, catalog);
  const outcome = result.ok ? 'valid' : `${result.errors.length} errors listed`;
  const parse = await measure(() => JSON.parse(text));
  const sync = await measure(() => validatePipeline(value, catalog));
  const async = await measure(() => validatePipelineAsync(value, catalog));
  console.log(
    `${name.padEnd(10)} ${(text.length / 1024).toFixed(0).padStart(5)} KiB  JSON.parse ${ms(parse)}  validate ${ms(sync)} (${(sync / parse).toFixed(1)}x)` +
      `  async ${ms(async)} (${(async / parse).toFixed(1)}x)  ${outcome}${sync < 1000 && async < 1000 ? '' : '  OVER 1 s'}`,
  );
}
