// Prometheus metrics of an API process (prom-client), served on its own port (SLUICE_METRICS_PORT)
// apart from the API, whose every route needs a caller: requests by route and status with their
// durations, runs started by pipeline, and at each scrape the runs by status from the run history
// and the backlog of the base task queue as Temporal reports it.
import type { Client } from '@temporalio/client';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunHistoryStore } from '../store/types.js';

/** Task queue kinds Temporal reports a backlog for: workflow tasks (1) and activity tasks (2). */
const QUEUE_KINDS = [
  ['workflow', 1],
  ['activity', 2],
] as const;

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route'>;
  private readonly started: Counter<'pipeline'>;

  constructor(deps: { store: RunHistoryStore; client: Client; taskQueue: string }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_api_' });
    this.requests = new Counter({ name: 'sluice_api_requests_total', help: 'API requests by route and status', labelNames: ['method', 'route', 'status'], registers });
    this.durations = new Histogram({
      name: 'sluice_api_request_duration_seconds',
      help: 'how long API requests took',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.started = new Counter({ name: 'sluice_runs_started_total', help: 'runs this API process started, by pipeline', labelNames: ['pipeline'], registers });
    new Gauge({
      name: 'sluice_runs',
      help: 'runs in the run history by status: open ones, and those that closed in the last 24 hours',
      labelNames: ['status', 'open'],
      registers,
      async collect() {
        this.reset();
        for (const row of await deps.store.countRuns(24 * 3600 * 1000)) this.set({ status: row.status, open: String(row.open) }, row.runs);
      },
    });
    new Gauge({
      name: 'sluice_task_queue_backlog',
      help: 'tasks waiting on the base task queue, as Temporal estimates them (workflow and activity tasks)',
      labelNames: ['queue', 'kind'],
      registers,
      async collect() {
        for (const [kind, type] of QUEUE_KINDS) {
          try {
            const res = await deps.client.workflowService.describeTaskQueue({ namespace: deps.client.options.namespace, taskQueue: { name: deps.taskQueue }, taskQueueType: type, reportStats: true });
            this.set({ queue: deps.taskQueue, kind }, Number(res.stats?.approximateBacklogCount ?? 0));
          } catch {
            // A server that cannot say: the gauge is left out rather than wrong.
          }
        }
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.durations.observe({ method, route }, seconds);
  }

  runStarted(pipeline: string): void {
    this.started.inc({ pipeline });
  }
}
