/**
 * Headless Chromium for the demo's browser test: the Debian package at
 * /usr/bin/chromium, driven by playwright-core (which never downloads a
 * browser here), with a fresh profile directory removed afterwards.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { scaled } from '../setup/calibrate';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** A browser context plus its cleanup. */
export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launch Chromium with a 1000x650 viewport; fails with the install command when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\` ` +
        '(scripts/ci-prepare.sh installs it), or set CHROMIUM_PATH',
    );
  }
  // playwright refuses --user-data-dir in args: a persistent context takes the directory instead.
  const profile = mkdtempSync(path.join(os.tmpdir(), 'switchyard-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1000, height: 650 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(scaled(10_000));
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
