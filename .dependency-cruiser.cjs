// The layering of Sluice, checked on every test run (test/unit/layering.test.ts) and by
// `npm run lint:layers`. Each rule says which way imports may go and why; a violation fails the suite.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'workflow-deterministic',
      comment:
        'Workflow code runs in the deterministic sandbox and is replayed: it imports only src/dag and the Temporal workflow SDK (with @temporalio/common, its shared types).',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { pathNot: ['^src/workflows/', '^src/dag/', '^node_modules/@temporalio/(workflow|common)/'] },
    },
    {
      name: 'dag-pure',
      comment: 'src/dag is the pure spec vocabulary shared by the workflow bundle, the API, the engine and the kit: no I/O, no engine.',
      severity: 'error',
      from: { path: '^src/dag/' },
      to: { pathNot: ['^src/dag/', '^node_modules/(zod|yaml)/'] },
    },
    {
      name: 'kit-not-engine',
      comment: 'The connector kit is what connectors stand on; it imports nothing of the engine (only itself, src/dag and libraries).',
      severity: 'error',
      from: { path: '^src/kit/' },
      to: { path: '^(src/(?!kit/|dag/)|connectors/)' },
    },
    {
      name: 'connector-only-kit',
      comment: 'A connector imports only the kit, its own folder and libraries: never the engine, and never another connector.',
      severity: 'error',
      from: { path: '^connectors/([^/]+)/', pathNot: '^connectors/[^/]+/test/' },
      to: { path: '^(src/|connectors/)', pathNot: ['^src/kit/', '^connectors/$1/'] },
    },
    {
      name: 'connector-list-only-connectors',
      comment: 'connectors/index.ts is the list of connectors: it imports them and the kit, nothing else of Sluice.',
      severity: 'error',
      from: { path: '^connectors/index\\.ts$' },
      to: { path: '^(src/|connectors/)', pathNot: ['^src/kit/', '^connectors/[^/]+/index\\.ts$'] },
    },
    {
      name: 'engine-not-api',
      comment: 'Workers never load the API server (it would pull Express and PGlite into every worker).',
      severity: 'error',
      from: { path: '^src/(activities|worker|kit)/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'no-circular',
      comment: 'Cycles make the load order fragile and the layers meaningless.',
      severity: 'error',
      from: { path: '^(src|connectors)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
