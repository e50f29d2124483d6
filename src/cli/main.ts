// The `sluice` command line. Each command imports its modules when it runs, so a worker does not
// load the API server or the embedded dev database, and `sluice validate` loads neither.
import { Command, InvalidArgumentError } from 'commander';
import { collectParam, port, timeoutOption, type CheckOptions } from './options.js';

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
  process.exit(1);
});
