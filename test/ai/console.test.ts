import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { ADMIN_TOKEN } from '../helpers/relay.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

describe('console Responses page in Chromium', { timeout: 60_000 }, () => {
  let h: AiHarness;
  let browser: ConsoleBrowser;
  let page: Page;
  before(async () => {
    h = await startAiRelay();
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, h.relay.url, ADMIN_TOKEN, '#/responses');
    await page.getByRole('heading', { name: 'Responses', level: 1 }).waitFor();
  });
  after(async () => {
    await browser?.close();
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
    assert.deepEqual(browser.errors, []);
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
