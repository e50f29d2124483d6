export { makeCatalog, type Catalog, type NodeTypeDef } from './catalog.js';
export { durationSchema, parseDuration } from './duration.js';
export { pipelineJsonSchema } from './json-schema.js';
export { findCycle, nextActions, topoOrder, upstreamClosure, type NodeState, type PlanNode } from './plan.js';
export { isSecretRef, SECRET_NAME_PATTERN, type SecretRef } from './secret.js';
export {
  NODE_ID_PATTERN,
  NODE_TYPE_PATTERN,
  PARAM_NAME_PATTERN,
  PIPELINE_NAME_PATTERN,
  SITE_PATTERN,
  nodeSpecSchema,
  paramSpecSchema,
  pipelineSpecSchema,
  retrySpecSchema,
  type NodeSpec,
  type ParamSpec,
  type PipelineSpec,
  type RetrySpec,
} from './spec.js';
export {
  TemplateError,
  evaluateWhen,
  resolveTemplates,
  singleTemplate,
  templateRefs,
  type TemplateContext,
} from './template.js';
export {
  formatPath,
  parsePipelineText,
  validatePipeline,
  type ValidationIssue,
  type ValidationResult,
} from './validate.js';
