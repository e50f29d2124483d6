// The YAML parser thread's entry (see yaml-thread.ts): parses each text it is sent and posts the result back.
import { parentPort } from 'node:worker_threads';
import { parsePipelineText } from '../dag/parse-text.js';

const port = parentPort;
if (port === null) throw new Error('yaml-worker.ts runs as a worker thread');
port.on('message', ({ id, text }: { id: number; text: string }) => {
  port.postMessage({ id, result: parsePipelineText(text, 'yaml') });
});
port.postMessage({ ready: true });
