import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (CI installs the `chromium` package); no browser is downloaded. */
export const CHROMIUM = process.env.HOOKRELAY_CHROMIUM ?? '/usr/bin/chromium';

// Quiet, offline, reproducible: nothing in the browser may reach the internet during a test.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface ConsoleBrowser {
  context: BrowserContext;
  /** A new tab; uncaught exceptions and console.error calls are collected in `errors` for assertions. */
  newPage(): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

/**
 * One real Chromium per test file (share it across the file's tests: launching costs ~0.5 s), with a
 * fresh profile directory that is removed on close. Each relay listens on its own port, so each is its
 * own origin and the console's stored token never leaks from one relay to another.
 */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'hookrelay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    // The console copies to the clipboard; grant it so copy buttons can be tested for real.
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        // HTTP error statuses are the relay answering (a test asserts on those); script errors are bugs.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          errors.push(`console: ${message.text()}`);
        }
      });
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Waiting for page state: `locator.waitFor()` or `page.waitForFunction(() => <boolean>)`. A predicate
// that returns a promise (clipboard reads, fetch) counts as truthy at once; poll such state from the test
// with `waitFor` from ./wait.ts instead.

/** Opens the console at `baseUrl` and signs in with `token`; resolves once the first page has mounted. */
export async function signIn(page: Page, baseUrl: string, token: string, hash = ''): Promise<void> {
  await page.goto(`${baseUrl}/${hash}`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('main[data-page]').waitFor();
}
