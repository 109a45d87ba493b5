import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { controlLines, type LineControl } from '../helpers/fake-openai-extras.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { inputLines, startBatchRelay, uploadAndCreate, waitForStatus } from './batch-helpers.ts';

describe('console batches page', () => {
  let upstream: FakeOpenAI;
  let lines: LineControl;
  let relay: TestRelay;
  let client: OpenAI;
  let browser: Browser;
  let page: Page;

  before(async () => {
    upstream = await startFakeOpenAI();
    lines = controlLines(upstream);
    relay = await startBatchRelay(upstream);
    client = new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ acceptDownloads: true });
    await context.addInitScript((token) => localStorage.setItem('hookrelay.token', token), ADMIN_TOKEN);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
    await upstream.close();
  });

  it('shows a finished batch with its counts and downloads its output and error files', async () => {
    const batch = await uploadAndCreate(client, inputLines(4, [4]));
    await waitForStatus(client, batch.id, 'completed');
    await page.goto(`${relay.url}/#/batches`);
    const row = page.locator(`tr[data-batch="${batch.id}"]`);
    await row.locator('text=completed').waitFor();
    assert.equal(await row.locator('progress').getAttribute('value'), '4');
    assert.match((await row.locator('.counts').textContent()) ?? '', /4 \/ 4 \(3 ok, 1 failed\)/);
    const [output] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Output' }).click()]);
    const outputText = await readFile((await output.path()) as string, 'utf8');
    assert.equal(outputText.trim().split('\n').length, 3);
    const [errors] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Errors' }).click()]);
    assert.match(await readFile((await errors.path()) as string, 'utf8'), /"custom_id":"req-4"/);
  });

  it('follows a running batch over the live stream and cancels it from the page', async () => {
    lines.holdAfter(1);
    const batch = await uploadAndCreate(client, inputLines(5));
    await page.goto(`${relay.url}/#/batches`);
    const row = page.locator(`tr[data-batch="${batch.id}"]`);
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.waitForFunction(
      (id) => document.querySelector(`tr[data-batch="${id}"] progress`)?.getAttribute('value') === '1',
      batch.id,
    );
    await row.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`tr[data-batch="${batch.id}"][data-status="cancelled"]`).waitFor();
    lines.release();
    assert.equal((await client.batches.retrieve(batch.id)).status, 'cancelled');
  });
});
