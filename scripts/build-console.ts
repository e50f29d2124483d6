// Builds the console (src/console, a React app) into dist/console with esbuild: assets/main.js,
// assets/console.css and index.html, which the API serves at `/`. `--if-stale` builds only when a
// source (the console, the typed API client, src/dag/locate.ts, the lockfile, this script) is newer
// than the last build; scripts/ensure-deps.mjs runs it that way before `npm run demo` and `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src', 'console');
export const CONSOLE_OUT = path.join(ROOT, 'dist', 'console');
const STAMP = path.join(CONSOLE_OUT, '.built');
// src/dag/locate.ts is bundled too: the spec editor places the API's errors with it.
const INPUTS = [SRC, path.join(ROOT, 'src', 'api', 'client'), path.join(ROOT, 'src', 'dag', 'locate.ts'), path.join(ROOT, 'package-lock.json'), fileURLToPath(import.meta.url)];

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

/** Whether dist/console is missing or older than any of its sources. */
export function consoleIsStale(): boolean {
  if (!fs.existsSync(STAMP)) return true;
  const built = fs.statSync(STAMP).mtimeMs;
  return INPUTS.some((p) => fs.existsSync(p) && newestMtime(p) > built);
}

/**
 * codemirror-json-schema renders its hover, completion and lint texts as Markdown with markdown-it
 * and shiki; shiki starts a WebAssembly highlighter as the module loads, which the console's CSP
 * (no 'wasm-unsafe-eval') refuses, and it would add megabytes. Its one Markdown module is swapped
 * for src/console/markdown.ts (escaped text, `code` spans), so neither is bundled.
 */
const plainMarkdown: Plugin = {
  name: 'sluice-plain-markdown',
  setup(b) {
    b.onResolve({ filter: /\/utils\/markdown(\.js)?$/ }, (args) =>
      args.importer.includes(`${path.sep}codemirror-json-schema${path.sep}`) ? { path: path.join(SRC, 'markdown.ts') } : undefined,
    );
  },
};

/** Bundles the console (minified, with source maps); throws with esbuild's messages when it does not compile. */
export async function buildConsole(): Promise<void> {
  const tmp = `${CONSOLE_OUT}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // Loaded only to build: a fresh build's check stays a few stat calls.
  const { build } = await import('esbuild');
  await build({
    absWorkingDir: ROOT,
    entryPoints: { main: path.join(SRC, 'main.tsx'), console: path.join(SRC, 'console.css') },
    outdir: path.join(tmp, 'assets'),
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    platform: 'browser',
    jsx: 'automatic',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    plugins: [plainMarkdown],
  });
  fs.copyFileSync(path.join(SRC, 'index.html'), path.join(tmp, 'index.html'));
  fs.writeFileSync(path.join(tmp, '.built'), `${new Date().toISOString()}\n`);
  // Swapped in whole, so an API serving the old build never sees half of the new one.
  fs.mkdirSync(path.dirname(CONSOLE_OUT), { recursive: true });
  const old = `${CONSOLE_OUT}.old-${process.pid}`;
  if (fs.existsSync(CONSOLE_OUT)) fs.renameSync(CONSOLE_OUT, old);
  fs.renameSync(tmp, CONSOLE_OUT);
  fs.rmSync(old, { recursive: true, force: true });
}

/** Builds when stale; returns whether it built. */
export async function ensureConsoleBuilt(): Promise<boolean> {
  if (!consoleIsStale()) return false;
  await buildConsole();
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const start = Date.now();
  const built = process.argv.includes('--if-stale') ? await ensureConsoleBuilt() : (await buildConsole(), true);
  if (built) console.error(`sluice: console built into ${path.relative(process.cwd(), CONSOLE_OUT)} (${Date.now() - start} ms)`);
}
