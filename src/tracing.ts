// OpenTelemetry tracing, on when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the standard variables; OTLP over HTTP). The API traces the
// runs it starts (Temporal's client interceptor, which also carries the trace to the workflow in its
// headers); workers trace every node attempt (`RunActivity:<node type>`), with the run, node and
// attempt as attributes. Spans are batched and sent in the background; an exporter that cannot
// reach its collector drops spans, never work.
import { context, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from './log.js';

export interface Tracing {
  tracer: Tracer;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Whether the environment names an OTLP endpoint for traces. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true';
}

/** Starts exporting spans of `service` when an endpoint is configured; null otherwise. */
export function startTracing(service: string, env: NodeJS.ProcessEnv, logger: Logger): Tracing | null {
  if (!tracingConfigured(env)) return null;
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 })],
  });
  trace.setGlobalTracerProvider(provider);
  // Spans follow async work (an attempt's span is the active one inside it).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  logger.info({ endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT }, 'tracing: spans go to the OTLP endpoint');
  return { tracer: provider.getTracer('sluice'), shutdown: () => provider.shutdown() };
}

/** The worker's activity interceptor that wraps each node attempt in a span. */
export function activityTracing(tracer: Tracer): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }) });
}

/** The client interceptor that traces workflow starts, signals and queries and carries the context in headers. */
export function clientTracing(tracer: Tracer): OpenTelemetryWorkflowClientInterceptor {
  return new OpenTelemetryWorkflowClientInterceptor({ tracer });
}
