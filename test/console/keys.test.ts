import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createKey } from '../keys/helpers.ts';
import { CONSOLE_SOURCES, sendSigned } from './fixtures.ts';

// The console's Content-Security-Policy (the relay's own header may come later; the page must pass it).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const navTitles = (page: Page) => page.locator('#nav a').allTextContents();

describe('browser console: keys page and what a key may see', () => {
  let fake: FakeOpenAI;
  let relay: TestRelay;
  let browser: ConsoleBrowser;
  let page: Page;

  before(async () => {
    fake = await startFakeOpenAI();
    relay = await startRelay({
      sources: CONSOLE_SOURCES,
      sections: { ai: { backoffMs: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] } },
    });
    browser = await launchBrowser();
    page = await browser.newPage();
    // Every document the console loads carries the policy, so any inline script or style would be refused.
    await page.route(`${relay.url}/`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
    });
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
    await fake?.close();
  });

  it('creates a key with scopes, sources and limits, shows it once and copies it', async () => {
    await signIn(page, relay.url, ADMIN_TOKEN, '#/keys');
    assert.deepEqual(await navTitles(page), [
      'Events',
      'Sources',
      'Rejections',
      'Endpoints',
      'Workflows',
      'Responses',
      'Batches',
      'Keys',
    ]);
    await page.getByLabel('Name').fill('shop reader');
    await page.getByRole('checkbox', { name: /^events:read/ }).check();
    await page.getByLabel(/^Sources/).fill('shop');
    await page.getByLabel('Requests per minute').fill('120');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.locator('.created-key code.secret').textContent()) ?? '';
    assert.match(secret, /^hrk_/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await waitFor('the key on the clipboard', async () => (await page.evaluate(() => navigator.clipboard.readText())) === secret);
    const row = page.locator('table.keys tbody tr', { hasText: 'shop reader' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /events:read.*shop.*requests_per_minute: 120/);
    assert.ok(!((await page.locator('table.keys').textContent()) ?? '').includes(secret), 'the list never shows the key');
    const self = await call(relay, secret, 'GET', '/v1/keys/self');
    assert.deepEqual(
      [self.body.scopes, self.body.sources, self.body.limits],
      [['events:read'], ['shop'], { requests_per_minute: 120 }],
    );
    // Gone once dismissed, and not shown again after a reload.
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.reload();
    await page.locator('table.keys tbody tr', { hasText: 'shop reader' }).waitFor();
    assert.equal(await page.locator('.created-key code.secret').count(), 0);
    assert.deepEqual(browser.errors, []);
  });

  it('shows a reader key only the events of its sources and no admin pages', async () => {
    const reader = await createKey(relay, { name: 'reader', scopes: ['events:read'], sources: ['shop'] });
    const shop = await sendSigned(relay, 'shop', { type: 'order.created', n: 1 });
    await sendSigned(relay, 'github', { action: 'opened' }, { event: 'issues' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, relay.url, reader.key, '#/keys');
    assert.deepEqual(await navTitles(page), ['Events']);
    assert.equal(await page.locator('main').getAttribute('data-page'), 'events');
    await page.locator(`.event-list > li[data-id="${shop.id}"]`).waitFor();
    assert.equal(await page.locator('.event-list > li').count(), 1);
    for (const hash of ['#/keys', '#/endpoints', '#/rejections']) {
      await page.evaluate((h) => {
        location.hash = h;
      }, hash);
      await page.waitForFunction(() => document.querySelector('main')?.dataset.page === 'events');
    }
    const ai = await createKey(relay, { name: 'ai app', scopes: ['ai', 'usage:read'] });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, relay.url, ai.key);
    assert.deepEqual(await navTitles(page), ['Responses', 'Batches']);
    const writer = await createKey(relay, { name: 'sender', scopes: ['events:write'] });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, relay.url, writer.key);
    assert.deepEqual(await navTitles(page), []);
    assert.equal(await page.locator('main').getAttribute('data-page'), 'none');
    await page.getByText('This key (scopes: events:write) opens no console page.').waitFor();
    assert.deepEqual(browser.errors, []);
  });

  it('shows usage per key and revokes a key with two clicks', async () => {
    const app = await createKey(relay, { name: 'usage app', scopes: ['ai'] });
    const client = new OpenAI({ apiKey: app.key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    fake.script({ usage: { prompt_tokens: 3, completion_tokens: 4 } });
    assert.equal((await client.responses.create({ model: 'fake-1', input: 'hello' })).status, 'completed');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, relay.url, ADMIN_TOKEN, '#/keys');
    const row = page.locator(`table.keys tbody tr[data-id="${app.id}"]`);
    await row.waitFor();
    assert.deepEqual(await row.locator('td.num').allTextContents(), ['7', '7']);
    await row.getByRole('button', { name: 'Revoke' }).click();
    assert.equal((await call(relay, app.key, 'GET', '/v1/keys/self')).status, 200, 'the first click only arms');
    await row.getByRole('button', { name: 'Revoke usage app now' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await call(relay, app.key, 'GET', '/v1/keys/self')).status, 401);
    assert.deepEqual(browser.errors, []);
  });
});
