// Prometheus metrics of a worker (prom-client), served on its own port (`--metrics-port`,
// SLUICE_METRICS_PORT) away from anything a client reaches: node attempts by type, site and outcome,
// their durations, retries and pauses, and the rows, bytes and bad records nodes committed. Rows
// are counted where a batch is committed (a part staged, a batch loaded, a part transformed), so a
// retried or resumed attempt adds only what it committed itself and the counters match a run's rows.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
export { serveMetrics } from '../metrics-server.js';
import type { NodeCount, NodeMetrics } from '../activities/metrics.js';

export class WorkerMetrics implements NodeMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'type' | 'site' | 'outcome'>;
  private readonly retries: Counter<'type' | 'site'>;
  private readonly durations: Histogram<'type' | 'site' | 'outcome'>;
  private readonly rows: Counter<'type' | 'site' | 'direction'>;
  private readonly bytes: Counter<'type' | 'site' | 'direction'>;
  private readonly bad: Counter<'type' | 'site'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_worker_' });
    this.attempts = new Counter({ name: 'sluice_node_attempts_total', help: 'node attempts that ended, by outcome (succeeded, paused, failed)', labelNames: ['type', 'site', 'outcome'], registers });
    this.retries = new Counter({ name: 'sluice_node_retries_total', help: 'node attempts that were retries of a failed attempt', labelNames: ['type', 'site'], registers });
    this.durations = new Histogram({
      name: 'sluice_node_attempt_duration_seconds',
      help: 'how long node attempts ran',
      labelNames: ['type', 'site', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.rows = new Counter({ name: 'sluice_rows_total', help: 'rows nodes committed: read (staged by sources) or written (loaded by sinks, produced by transforms)', labelNames: ['type', 'site', 'direction'], registers });
    this.bytes = new Counter({ name: 'sluice_bytes_total', help: 'bytes nodes committed: read or written, as staged or loaded', labelNames: ['type', 'site', 'direction'], registers });
    this.bad = new Counter({ name: 'sluice_bad_records_total', help: 'records nodes set aside as bad (dead-lettered)', labelNames: ['type', 'site'], registers });
  }

  attemptStarted(type: string, site: string, attempt: number): void {
    if (attempt > 1) this.retries.inc({ type, site });
  }

  attemptEnded(type: string, site: string, outcome: 'succeeded' | 'paused' | 'failed', seconds: number): void {
    this.attempts.inc({ type, site, outcome });
    this.durations.observe({ type, site, outcome }, seconds);
  }

  count(type: string, site: string, what: NodeCount, n: number): void {
    if (!(n > 0)) return;
    if (what === 'badRecords') this.bad.inc({ type, site }, n);
    else if (what === 'rowsRead' || what === 'rowsWritten') this.rows.inc({ type, site, direction: what === 'rowsRead' ? 'read' : 'written' }, n);
    else this.bytes.inc({ type, site, direction: what === 'bytesRead' ? 'read' : 'written' }, n);
  }
}
