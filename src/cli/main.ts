// The `sluice` command line. Each command imports its modules when it runs, so a worker does not
// load the API server or the embedded dev database, and `sluice validate` loads neither.
import { Command, InvalidArgumentError } from 'commander';
import { collect, collectParam, port, positiveInt, timeoutOption, type CheckOptions } from './options.js';

function onShutdown(fn: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      fn().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
}

const program = new Command('sluice').description('ETL pipelines as durable Temporal workflows').showHelpAfterError();

program
  .command('dev')
  .description('run Temporal (with its Web UI), the API and a central worker on this machine')
  .option('--data-dir <dir>', 'where the dev server keeps its SQLite file, staging and logs', '.sluice')
  .option('--port <port>', 'API port', port, 3000)
  .option('--temporal-port <port>', 'Temporal frontend port', port, 7233)
  .option('--ui-port <port>', 'Temporal Web UI port', port, 8233)
  .option('--host <address>', 'interface the API listens on (0.0.0.0 to let other machines in)', '127.0.0.1')
  .option('--no-encrypt', 'keep payloads in plain text in Temporal (default: encrypted with SLUICE_PAYLOAD_KEYS or a dev key in the data dir)')
  .action(async (opts: { dataDir: string; port: number; temporalPort: number; uiPort: number; host: string; encrypt: boolean }) => {
    const [{ createLogger }, { startDev }] = await Promise.all([import('../log.js'), import('./dev.js')]);
    const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
    const dev = await startDev({ dataDir: opts.dataDir, apiPort: opts.port, temporalPort: opts.temporalPort, uiPort: opts.uiPort, host: opts.host, encrypt: opts.encrypt }, logger);
    const keys = dev.config.SLUICE_PAYLOAD_KEYS;
    onShutdown(dev.stop);
    console.log(`\nSluice is running.
  Console:      ${dev.apiUrl}/   (sign in with the API key below)
  API:          ${dev.apiUrl}/api/v1/pipelines
  API key:      ${dev.apiKey}   (admin; send it as Authorization: Bearer <key>)
                curl -H "Authorization: Bearer ${dev.apiKey}" ${dev.apiUrl}/api/v1/pipelines
  Temporal UI:  ${dev.uiUrl}
  Temporal:     ${dev.temporalAddress} (namespace ${dev.config.TEMPORAL_NAMESPACE})
  Payloads:     ${keys ? `encrypted with key ${keys.encryptingKeyId}; the Web UI decodes them through ${dev.apiUrl}/codec` : 'plain text (--no-encrypt)'}
Press Ctrl-C to stop.\n`);
  });

program
  .command('api')
  .description('serve the REST API (configured by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, PORT)')
  .action(async () => {
    const [{ loadConfig }, { createLogger }, { startApiFromConfig }] = await Promise.all([import('../config.js'), import('../log.js'), import('../api/server.js')]);
    const config = loadConfig();
    const logger = createLogger(config.LOG_LEVEL).child({ role: 'api' });
    const api = await startApiFromConfig(config, logger);
    onShutdown(api.close);
  });

program
  .command('worker')
  .description('run a worker: central (workflows and central nodes) or, with --site, one site\'s nodes')
  .option('--site <name>', 'run only the nodes of this site (task queue <base>-site-<name>)')
  .option('--policy <file>', "this site's policy (YAML): the secrets, files, hosts and node types its nodes may use (default: SLUICE_WORKER_POLICY)")
  .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port (default: SLUICE_METRICS_PORT; none when unset)', port)
  .action(async (opts: { site?: string; policy?: string; metricsPort?: number }) => {
    if (opts.site !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(opts.site)) throw new InvalidArgumentError('--site: expected lowercase letters, digits and dashes');
    const { runWorker } = await import('./worker.js');
    await runWorker(opts.site, opts.policy, opts.metricsPort);
  });

program
  .command('rejected')
  .description("print a node's rejected records from this host's staging store (SLUICE_STAGING_DIR or SLUICE_STAGING_URL, as the worker has them): how a site reads its own")
  .argument('<run>', 'the run id')
  .argument('<node>', "the node id (a mapped node's instance: 'extract[3]')")
  .option('--limit <n>', 'at most this many records (default 20)', positiveInt)
  .action(async (runId: string, nodeId: string, opts: { limit?: number }) => {
    await (await import('./rejected.js')).rejectedCommand(runId, nodeId, opts);
  });

const keys = program.command('keys').description('manage API keys in the metadata database (DATABASE_URL)');
keys
  .command('create')
  .description('make an API key; the key is printed once, as the last line of stdout')
  .requiredOption('--name <name>', 'who or what the key is for')
  .option('--role <role>', 'viewer, operator, author or admin (required unless --site)')
  .option('--pipelines <glob>', 'limit the key to pipelines matching this glob (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--expires <duration>', 'lifetime, e.g. 90d (default: none)')
  .option('--site <name>', "a site key: it may only send this site's log lines (`central` for central workers), nothing else")
  .action(async (opts: { name: string; role?: string; pipelines: string[]; expires?: string; site?: string }) => {
    const { createKeyCommand } = await import('./keys.js');
    await createKeyCommand(opts);
  });
keys
  .command('list')
  .description('list keys: id, role, state, pipelines, name (never the keys themselves)')
  .action(async () => (await import('./keys.js')).listKeysCommand());
keys
  .command('revoke')
  .description('revoke a key by id; it stops working at once')
  .argument('<id>')
  .action(async (id: string) => (await import('./keys.js')).revokeKeyCommand(id));

program
  .command('validate')
  .description('validate pipeline files (JSON or YAML) and print every error with its path')
  .argument('<files...>')
  .action(async (files: string[]) => {
    const { validateFiles } = await import('./validate.js');
    process.exitCode = validateFiles(files) > 0 ? 1 : 0;
  });

program
  .command('check')
  .description("test every node's connection on the worker of its site (through Temporal, configured like `sluice worker`), or --local in this shell")
  .argument('<file>')
  .option('--param <name=value>', 'a pipeline param (repeatable)', collectParam, [])
  .option('--local', "run the checks in this process, with this shell's environment as the secrets (no Temporal)")
  .option('--timeout <duration>', "per node: how long its worker has to pick up the check, and then to finish it", timeoutOption, 30_000)
  .action(async (file: string, opts: CheckOptions) => {
    const { checkFile } = await import('./check.js');
    const code = await checkFile(file, opts);
    // A check abandoned at its timeout may still hold a socket open; the answer is already printed.
    process.exit(code);
  });

program
  .command('schema')
  .description('print the JSON Schema of pipeline files (for editor autocompletion)')
  .action(async () => (await import('./validate.js')).printSchema());

// Commands that talk to the REST API (SLUICE_API_URL, SLUICE_API_KEY).
const API_URL_HELP = 'the API, e.g. https://sluice.acme.com (default: SLUICE_API_URL)';
const API_KEY_HELP = 'the API key (default: SLUICE_API_KEY; prefer the variable: a flag shows in the process list)';
/** A command that talks to the API: it takes --api-url and --api-key. */
function apiCommand(parent: Command, name: string): Command {
  return parent.command(name).option('--api-url <url>', API_URL_HELP).option('--api-key <key>', API_KEY_HELP);
}
/** How often `sluice run --follow` looks at the run. */
const FOLLOW_INTERVAL_MS = 1000;

apiCommand(program, 'run')
  .description('start a run of a registered pipeline over the API; prints its id, or with --follow shows its nodes until it ends (exit 0: completed, 1: failed or cancelled)')
  .argument('<pipeline>')
  .option('--param <name=value>', 'a pipeline param (repeatable)', collectParam, [])
  .option('--version <n>', 'the pipeline version (default: the latest)', positiveInt)
  .option('--follow', 'show per-node state, rows, rows/s and elapsed time until the run ends')
  .action(async (pipeline: string, opts: { param: string[]; version?: number; follow?: boolean; apiUrl?: string; apiKey?: string }) => {
    const { runCommand } = await import('./runs.js');
    process.exitCode = await runCommand(pipeline, { ...opts, interval: FOLLOW_INTERVAL_MS });
  });

apiCommand(program, 'runs')
  .description('list runs, newest first')
  .option('--pipeline <name>', 'only this pipeline\'s runs')
  .option('--status <status>', 'queued, running, paused, completed, failed or cancelled')
  .option('--schedule <id>', 'only the runs this schedule started')
  .option('--limit <n>', 'at most this many (1-500; default 50)', positiveInt)
  .option('--json', 'print the API\'s answer as JSON')
  .action(async (opts: { pipeline?: string; status?: string; schedule?: string; limit?: number; json?: boolean; apiUrl?: string; apiKey?: string }) => {
    await (await import('./runs.js')).listRunsCommand(opts);
  });

apiCommand(program, 'logs')
  .description("print a run's node log lines (those its workers ship to the API); --follow streams them until the run closes")
  .argument('<run>')
  .option('--node <id>', "only this node's lines (and its instances')")
  .option('--level <level>', 'the least level shown: info, warn, error or fatal')
  .option('--follow', 'keep printing lines as they arrive, until the run closes')
  .action(async (runId: string, opts: { node?: string; level?: string; follow?: boolean; apiUrl?: string; apiKey?: string }) => {
    await (await import('./runs.js')).logsCommand(runId, opts);
  });

for (const [action, what] of [
  ['pause', 'pause a running run (its nodes stop at a checkpoint)'],
  ['resume', 'resume a paused run'],
  ['cancel', 'cancel a run'],
] as const) {
  apiCommand(program, action)
    .description(what)
    .argument('<run>')
    .action(async (runId: string, opts: { apiUrl?: string; apiKey?: string }) => {
      await (await import('./runs.js')).runActionCommand(action, runId, opts);
    });
}

apiCommand(program, 'retry')
  .description('run the failed nodes of a failed run again (within its recovery window), and what depends on them')
  .argument('<run>')
  .option('--node <id>', 'retry only this failed node (repeatable; default: every failed node)', collect, [])
  .action(async (runId: string, opts: { node: string[]; apiUrl?: string; apiKey?: string }) => {
    await (await import('./runs.js')).retryCommand(runId, opts);
  });

const schedules = program.command('schedules').description('schedules (Temporal Schedules that start runs of a pipeline) over the API');
apiCommand(schedules, 'list')
  .description('list schedules')
  .option('--pipeline <name>', "only this pipeline's schedules")
  .option('--limit <n>', 'at most this many (1-100; default 50)', positiveInt)
  .option('--json', "print the API's answer as JSON")
  .action(async (opts: { pipeline?: string; limit?: number; json?: boolean; apiUrl?: string; apiKey?: string }) => {
    await (await import('./schedules.js')).listSchedulesCommand(opts);
  });
apiCommand(schedules, 'create')
  .description('make a schedule of a pipeline (its latest version unless --version); prints its id')
  .argument('<pipeline>')
  .option('--cron <expr>', "when: 5 fields (minute hour day-of-month month day-of-week), or @daily and the like")
  .option('--interval <duration>', 'or: every this long (15m, 1h, 1d)')
  .option('--overlap <policy>', 'required: skip, buffer_one, buffer_all, cancel_other or allow_all (what a start does while the last run is open)')
  .option('--id <id>', 'the schedule id (default: <pipeline>-<8 hex>)')
  .option('--param <name=value>', "the runs' params (repeatable)", collectParam, [])
  .option('--timezone <zone>', 'IANA time zone the cron fields are read in (default UTC)')
  .option('--catchup-window <duration>', 'how late a start missed while Temporal was down may still run')
  .option('--version <n>', 'the pipeline version its runs use (default: the latest, pinned now)', positiveInt)
  .option('--paused', 'make it paused')
  .option('--note <text>', 'shown with the schedule')
  .action(async (pipeline: string, opts: Parameters<typeof import('./schedules.js').createScheduleCommand>[1]) => {
    await (await import('./schedules.js')).createScheduleCommand(pipeline, opts);
  });
for (const [action, what] of [
  ['pause', 'pause a schedule: it starts no runs until unpaused'],
  ['unpause', 'unpause a schedule'],
] as const) {
  apiCommand(schedules, action)
    .description(what)
    .argument('<id>')
    .option('--note <text>', 'why (shown with the schedule)')
    .action(async (id: string, opts: { note?: string; apiUrl?: string; apiKey?: string }) => {
      await (await import('./schedules.js')).scheduleActionCommand(action, id, opts);
    });
}
apiCommand(schedules, 'trigger')
  .description('start one run of a schedule now, paused or not')
  .argument('<id>')
  .option('--overlap <policy>', 'default allow_all: the run starts whatever is running')
  .action(async (id: string, opts: { overlap?: string; apiUrl?: string; apiKey?: string }) => {
    await (await import('./schedules.js')).scheduleActionCommand('trigger', id, opts);
  });
apiCommand(schedules, 'backfill')
  .description('start the runs a schedule would have started between two past times (both inclusive)')
  .argument('<id>')
  .requiredOption('--from <time>', 'ISO 8601 with a zone, e.g. 2026-01-01T00:00:00Z')
  .requiredOption('--to <time>', 'ISO 8601 with a zone, not later than now')
  .option('--overlap <policy>', 'default buffer_all: every slot runs, one after another')
  .action(async (id: string, opts: { from: string; to: string; overlap?: string; apiUrl?: string; apiKey?: string }) => {
    await (await import('./schedules.js')).backfillCommand(id, opts);
  });
apiCommand(schedules, 'delete')
  .description('delete a schedule; the runs it started go on')
  .argument('<id>')
  .action(async (id: string, opts: { apiUrl?: string; apiKey?: string }) => {
    await (await import('./schedules.js')).deleteScheduleCommand(id, opts);
  });

// Internal: used by workers to bundle the workflow code in a child process (see worker/bundle.ts).
program
  .command('__bundle-workflows', { hidden: true })
  .argument('<out>')
  .argument('[failureConverterPath]')
  .action(async (out: string, failureConverterPath?: string) => {
    const { writeWorkflowBundle } = await import('../worker/bundle.js');
    await writeWorkflowBundle(out, failureConverterPath);
  });

await program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`sluice: ${err instanceof Error ? err.message : String(err)}`);
  // The API commands' errors carry their exit code: 2 for bad input, 1 otherwise.
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  process.exit(typeof code === 'number' ? code : 1);
});
