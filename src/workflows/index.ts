// Entry point of the workflow bundle (the worker's workflowsPath).
export { runPipeline } from './workflow.js';
export { checkPipeline } from './check.js';
export { runMapChunk } from './map-chunk.js';
export { sendNotification } from './notify.js';
export { sampleRejected } from './rejected.js';
