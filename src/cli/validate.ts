// `sluice validate FILE...` and `sluice schema`.
import fs from 'node:fs';
import path from 'node:path';
import { catalog } from '../catalog.js';
import { pipelineJsonSchema } from '../dag/json-schema.js';
import { parsePipelineText, validatePipeline } from '../dag/validate.js';

/** Validates each file; prints every error with its path. Returns the number of invalid files. */
export function validateFiles(files: string[], out: (line: string) => void = console.log): number {
  let invalid = 0;
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      out(`${file}: cannot read: ${(err as Error).message}`);
      invalid++;
      continue;
    }
    const format = path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
    const parsed = parsePipelineText(text, format);
    const result = parsed.ok ? validatePipeline(parsed.value, catalog) : parsed;
    if (result.ok) {
      out(`${file}: ok (${result.spec.name}, ${result.spec.nodes.length} nodes)`);
    } else {
      invalid++;
      for (const e of result.errors) out(`${file}: ${e.path || '(root)'}: ${e.message}`);
    }
  }
  return invalid;
}

export function printSchema(): void {
  console.log(JSON.stringify(pipelineJsonSchema(catalog), null, 2));
}
