import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { sendSigned } from '../sources/source-client.ts';
import { SHOP_SECRET } from './fixtures.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/hookrelay.js', import.meta.url));

/** The console's Content-Security-Policy, as the relay is to send it. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const violations = (page: Page) => page.evaluate(() => (window as unknown as { violations?: string[] }).violations ?? []);

describe('browser console: the Sources page', () => {
  let relay: TestRelay;
  let browser: ConsoleBrowser;
  let page: Page;
  const created = { url: '', secret: '', curl: '', send: '' };

  before(async () => {
    relay = await startRelay({ sources: [{ name: 'shop', verify: { scheme: 'standard-webhooks', secrets: [SHOP_SECRET] } }] });
    browser = await launchBrowser();
    page = await browser.newPage();
    // The page is served with the console's CSP, and every violation of it is recorded.
    await page.route(
      (url) => url.pathname === '/',
      async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
      },
    );
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const w = window as unknown as { violations?: string[] };
        w.violations = [...(w.violations ?? []), `${event.violatedDirective} ${event.blockedURI}`];
      });
    });
    await signIn(page, relay.url, ADMIN_TOKEN, '#/sources');
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  it('runs under the console CSP (an inline script is refused, so the policy is in force)', async () => {
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
    });
    assert.equal(await page.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan), undefined);
    assert.equal((await violations(page)).length, 1);
    assert.equal(browser.errors.length, 1);
    browser.errors.length = 0;
    await page.evaluate(() => {
      (window as unknown as { violations: string[] }).violations = [];
    });
  });

  it('creates a source and shows its URL, its secret and ready send and curl commands at once', async () => {
    await page.getByLabel('Name').fill('orders');
    // Fields of other schemes show only for them.
    await page.getByLabel('Scheme').selectOption('hmac');
    assert.equal(await page.getByLabel('Signature header').isVisible(), true);
    await page.getByLabel('Scheme').selectOption('standard-webhooks');
    assert.equal(await page.getByLabel('Signature header').isVisible(), false);
    assert.equal(await page.getByLabel('accept unsigned requests').isVisible(), false);
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: 'Source orders is ready' }).waitFor();
    created.url = (await page.locator('.source-url').textContent()) ?? '';
    created.secret = (await page.locator('.source-secret').textContent()) ?? '';
    created.curl = (await page.getByLabel('curl', { exact: true }).textContent()) ?? '';
    created.send = (await page.getByLabel('hookrelay send', { exact: true }).textContent()) ?? '';
    assert.equal(created.url, `${relay.url}/hooks/orders`);
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.ok(created.send.includes(created.secret) && created.curl.includes(created.secret));
    await page.locator('tr[data-source="orders"]').waitFor();
  });

  it('lets the shown curl script and hookrelay send command deliver signed webhooks as they are', async () => {
    const curl = await run('bash', ['-c', created.curl]);
    assert.equal((JSON.parse(curl.stdout) as { duplicate: boolean }).duplicate, false, curl.stderr);
    const send = await run('bash', ['-c', created.send.replace(/^npx hookrelay/, `"${process.execPath}" "${BIN}"`)]);
    assert.match(send.stdout, /^200 \{"id":"evt_/);
  });

  it('shows a webhook signed with the shown secret (standardwebhooks library) in the events list', async () => {
    const sent = await sendSigned(created.url, created.secret, { type: 'order.created', order: 'o_1' });
    assert.equal(sent.status, 200);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.locator(`.event-row[data-id="${sent.body.id}"]`).waitFor();
  });

  it('counts accepted and refused requests of the last hour per source', async () => {
    const wrong = await sendSigned(created.url, SHOP_SECRET, { type: 'order.created' });
    assert.equal(wrong.status, 401);
    await page.getByRole('link', { name: 'Sources' }).click();
    const row = page.locator('tr[data-source="orders"]');
    await row.locator('td.accepted', { hasText: /^3$/ }).waitFor();
    await row.locator('td.rejected', { hasText: /^1$/ }).waitFor();
    await page.locator('tr[data-source="shop"]', { hasText: 'config file (read-only)' }).waitFor();
    assert.equal(await page.locator('tr[data-source="shop"] button', { hasText: 'Delete' }).count(), 0);
  });

  it('rotates: a new secret is shown, and old and new both verify during the overlap', async () => {
    await page.locator('tr[data-source="orders"]').getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('heading', { name: 'New secret for orders' }).waitFor();
    const fresh = (await page.locator('.source-secret').textContent()) ?? '';
    assert.notEqual(fresh, created.secret);
    assert.match(fresh, /^whsec_/);
    assert.equal((await sendSigned(created.url, created.secret, { type: 'old.secret' })).status, 200);
    assert.equal((await sendSigned(created.url, fresh, { type: 'new.secret' })).status, 200);
    await page.locator('tr[data-source="orders"]', { hasText: '+1 previous until' }).waitFor();
  });

  it('deletes only after a confirmation, and then the URL answers 404 source_not_found', async () => {
    const row = page.locator('tr[data-source="orders"]');
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.getByRole('group', { name: 'Confirm deleting orders' }).waitFor();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: 'Delete', exact: true }).waitFor();
    assert.equal((await sendSigned(created.url, created.secret, { type: 'still.there' })).status, 200);
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.getByRole('button', { name: 'Delete orders' }).click();
    await row.waitFor({ state: 'detached' });
    const refused = await sendSigned(created.url, created.secret, { type: 'gone' });
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error?.code, 'source_not_found');
  });

  it('shows a reader no Sources page: no link, and #/sources opens the events list instead', async () => {
    const created = await fetch(`${relay.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader' }),
    });
    const { token } = (await created.json()) as { token: string };
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Events' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Sources' }).count(), 0);
    await page.goto(`${relay.url}/#/sources`);
    await page.waitForFunction(() => document.getElementById('main')?.dataset.page === 'events');
    assert.equal(await page.locator('tr[data-source]').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Create source' }).count(), 0);
  });

  it('broke no CSP rule and logged no error on the way', async () => {
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(browser.errors, []);
  });
});
