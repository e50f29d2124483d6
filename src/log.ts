// Structured logging. Every line of a node carries run, node, attempt and site (see activities).
import { pino, type Logger } from 'pino';

export type { Logger };

/** What every Sluice logger redacts, whoever makes it (a node attempt's shipping logger too). */
export const LOG_OPTIONS = {
  // Config objects may carry connection strings; never log them even if someone tries.
  redact: { paths: ['config.connection', '*.config.connection', 'password', '*.password'], censor: '[redacted]' },
};

/**
 * Creates the process logger: JSON lines on stdout for services, or on stderr (`toStderr`) for
 * commands whose stdout is their answer (`sluice check`).
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'sluice', toStderr = false): Logger {
  const options = { name, level, ...LOG_OPTIONS };
  return toStderr ? pino(options, pino.destination(2)) : pino(options);
}
