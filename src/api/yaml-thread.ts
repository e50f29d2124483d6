// YAML specs are parsed on a worker thread: the `yaml` package takes ~2 s per MB of text on one core,
// which on the API's own thread would stall every other request (health checks included). The thread
// has a memory cap and each document a time limit; a document that exceeds either is refused with a
// 400, the thread is replaced, and the API never notices.
import { Worker } from 'node:worker_threads';
import { MAX_YAML_SPEC_BYTES, YAML_PARSE_TIMEOUT_MS } from '../dag/limits.js';
import type { ParseTextResult } from '../dag/parse-text.js';

interface Job {
  id: number;
  text: string;
  resolve(result: ParseTextResult): void;
}

type Reply = { ready: true } | { id: number; result: ParseTextResult };

const failed = (message: string): ParseTextResult => ({ ok: false, errors: [{ path: '', message }] });

// The worker runs TypeScript: it registers tsx itself, as bin/sluice.js does for the main thread.
function workerUrl(): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./yaml-worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(tsx)};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

class YamlThread {
  private worker: Worker | null = null;
  private ready = false;
  private readonly queue: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;

  parse(text: string): Promise<ParseTextResult> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, text, resolve });
      this.pump();
    });
  }

  private spawn(): Worker {
    const worker = new Worker(workerUrl(), {
      execArgv: [],
      // The text is at most MAX_YAML_SPEC_BYTES and its value at most MAX_YAML_EXPANDED_BYTES: far below this.
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        this.ready = true;
        this.pump();
        return;
      }
      if (this.current?.job.id === reply.id) this.finish(reply.result);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const memory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.replace(worker, memory ? 'the YAML document needs too much memory to parse' : `the YAML parser failed: ${err.message}`);
    });
    worker.on('exit', () => this.replace(worker, 'the YAML parser stopped'));
    // Idle, the thread does not keep the process alive (after the listeners: adding one refs it again).
    worker.unref();
    return worker;
  }

  private pump(): void {
    if (this.worker === null) {
      this.ready = false;
      this.worker = this.spawn();
    }
    // Busy (starting, or parsing with documents waiting), the thread keeps the process alive; idle, it does not.
    if (this.current !== null || this.queue.length > 0) this.worker.ref();
    else this.worker.unref();
    if (!this.ready || this.current !== null) return;
    const job = this.queue.shift();
    if (job === undefined) return;
    const worker = this.worker;
    const timer = setTimeout(() => {
      this.replace(worker, `the YAML document took longer than ${YAML_PARSE_TIMEOUT_MS / 1000}s to parse; send it as JSON`);
    }, YAML_PARSE_TIMEOUT_MS);
    this.current = { job, timer };
    worker.postMessage({ id: job.id, text: job.text });
  }

  private finish(result: ParseTextResult): void {
    const current = this.current;
    if (current === null) return;
    clearTimeout(current.timer);
    this.current = null;
    current.job.resolve(result);
    if (this.worker !== null || this.queue.length > 0) this.pump();
  }

  /** The worker is stuck or gone: the document it had fails, and the next one gets a new worker. */
  private replace(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    const started = this.ready;
    this.worker = null;
    this.ready = false;
    void worker.terminate();
    // A worker that could not even start would fail the same way again: every waiting document fails now.
    if (!started) for (const job of this.queue.splice(0)) job.resolve(failed(message));
    this.finish(failed(message));
  }
}

let thread: YamlThread | null = null;

/** Parses YAML spec text off the event loop; texts over MAX_YAML_SPEC_BYTES are refused without parsing. */
export function parseYamlOffThread(text: string): Promise<ParseTextResult> {
  if (Buffer.byteLength(text) > MAX_YAML_SPEC_BYTES) {
    return Promise.resolve(failed(`a YAML spec may be at most ${MAX_YAML_SPEC_BYTES / 1024} KiB; send larger specs as JSON`));
  }
  thread ??= new YamlThread();
  return thread.parse(text);
}
