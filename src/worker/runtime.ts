// Routes the Temporal SDK's own log lines into our pino logger, once per process.
import { Runtime, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from '../log.js';

let installed = false;

function adapter(logger: Logger): SdkLogger {
  const at = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (message: string, meta?: LogMetadata) => logger[level](meta ?? {}, message);
  return {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => at(level.toLowerCase() as 'info')(message, meta),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/**
 * Installs the SDK runtime with our logger; later calls are no-ops. `sdkMetricsAddress`
 * (host:port): the SDK's own metrics in Prometheus form there (a worker's /metrics includes them).
 */
export function installRuntime(logger: Logger, options: { sdkMetricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: adapter(logger.child({ component: 'temporal-sdk' })),
      ...(options.sdkMetricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.sdkMetricsAddress } } } } : {}),
    });
  } catch {
    // Already created by an earlier SDK call in this process; its default logger stays.
  }
}
