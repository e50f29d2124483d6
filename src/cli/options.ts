// Option parsers and option types of the command line, kept apart from the commands so that
// `sluice <command>` loads only the modules of that command.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../dag/duration.js';

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
  return n;
}

export interface CheckOptions {
  /** `name=value` strings, typed by the pipeline's param declarations. */
  param: string[];
  local?: boolean;
  timeout: number;
}

/** Commander parser of a repeatable `--param name=value`. */
export function collectParam(value: string, previous: string[]): string[] {
  if (!/^[^=]+=/.test(value)) throw new InvalidArgumentError('expected name=value');
  return [...previous, value];
}

/** Commander parser of `--timeout` (30s, 1m, or ms). */
export function timeoutOption(value: string): number {
  try {
    const ms = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
    if (ms < 1000) throw new Error('must be at least 1s');
    return ms;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}


/** Commander parser of a positive integer (`--version`, `--limit`). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Commander parser of a repeatable option (`--node a --node b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
