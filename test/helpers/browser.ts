// Headless Chromium for tests that look at a page as a person would (the Temporal Web UI), driven
// through playwright-core, which ships no browser: Debian's `chromium`, which
// scripts/ensure-chromium.sh installs when it is missing. Each browser gets a fresh profile.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const ENSURE = path.join(import.meta.dirname, '..', '..', 'scripts', 'ensure-chromium.sh');

/** Path of the Chromium binary, installing Debian's package first when it is missing. */
export function chromiumPath(): string {
  return execFileSync('bash', [ENSURE], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim();
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile; close() removes the profile too. */
export async function openBrowser(): Promise<TestBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    timeout: 30_000,
    viewport: { width: 1400, height: 1600 },
    // The flags a CI box needs: no sandbox (root), no GPU, and nothing that calls out to the network.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in to the console served at `url` with `key` through its sign-in form; resolves once signed in. */
export async function signInToConsole(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
