/** One problem in a spec: where (`nodes[2].config.table`) and what, in words for the person who wrote it. */
export interface ValidationIssue {
  path: string;
  message: string;
}
