import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../helpers/relay.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

describe('console Responses page in Chromium', { timeout: 60_000 }, () => {
  let h: AiHarness;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  before(async () => {
    h = await startAiRelay();
    profile = await mkdtemp(join(tmpdir(), 'hookrelay-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.HOOKRELAY_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${h.relay.url}/#/responses`);
    await page.getByLabel('Token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Responses', level: 1 }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
    await h.stop();
  });

  it('submits a prompt, streams the text in live and lists the response', async () => {
    h.fake.script({ tokens: ['Live ', 'text ', 'here'], usage: { prompt_tokens: 4, completion_tokens: 3 } });
    await page.getByLabel('Model').fill('fake-1');
    await page.getByLabel('Prompt').fill('stream something');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByTestId('status').filter({ hasText: 'completed' }).waitFor();
    assert.equal(await page.getByTestId('text').textContent(), 'Live text here');
    assert.match((await page.getByTestId('usage').textContent()) ?? '', /4 in, 3 out, 7 total/);
    await page.locator('.response-list tbody tr').filter({ hasText: 'completed' }).first().waitFor();
    assert.deepEqual(errors, []);
  });

  it('cancels a running response from the page', async () => {
    h.fake.script({ tokenCount: 10, pauseAfter: 1 });
    await page.getByLabel('Prompt').fill('long one');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByTestId('text').filter({ hasText: 't0' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('status').filter({ hasText: 'cancelled' }).waitFor();
    assert.equal(await page.getByTestId('text').textContent(), 't0 ');
  });
});
