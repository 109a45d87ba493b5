import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Receiver } from '../delivery/receiver.ts';
import { api, ingest, TEST_SOURCES } from '../delivery/setup.ts';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// The endpoints page: create, edit, pause/resume, delete with confirmation, and health that stays
// honest while deliveries are pending.

interface EndpointJson {
  id: string;
  url: string;
  description: string;
  filter: { sources: string[] | null; types: string[] | null };
  headers: Record<string, string>;
  rate_limit: number | null;
  paused?: boolean;
}

describe('browser console: endpoints', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let browser: ConsoleBrowser;
  let page: Page;
  let endpoint: EndpointJson;
  const row = () => page.locator(`tr[data-endpoint="${endpoint.id}"]`);

  before(async () => {
    receiver = await new Receiver().start();
    receiver.answer = () => ({ status: 500, body: 'receiver exploded: database is locked' });
    // One attempt now, the next an hour later: deliveries stay pending after their first failure.
    relay = await startRelay({ sources: TEST_SOURCES, sections: { delivery: { scheduleSeconds: [0, 3600] } } });
    browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    page = await browser.newPage();
    await signIn(page, relay.url, ADMIN_TOKEN, '#/endpoints');
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
    await receiver?.stop();
  });

  it('creates an endpoint from the form and shows its signing secret once', async () => {
    await page.getByText('New endpoint').click();
    const form = page.getByRole('form', { name: 'New endpoint' });
    await form.getByLabel('URL').fill(`${receiver.url}/hooks`);
    await form.getByLabel('Description').fill('billing worker');
    await form.getByLabel('Types').fill('order.*');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText(/Created ep_\w+\. Signing secret/).waitFor();
    const list = await api<{ data: EndpointJson[] }>(relay, '/v1/endpoints');
    assert.equal(list.body.data.length, 1);
    endpoint = list.body.data[0];
    assert.deepEqual(
      [endpoint.url, endpoint.description, endpoint.filter.types],
      [`${receiver.url}/hooks`, 'billing worker', ['order.*']],
    );
    await row().waitFor();
  });

  it('reports a failing endpoint with pending deliveries honestly: attempts, pending, last error and body, a chart', async () => {
    await ingest(relay, { type: 'order.created', n: 1 });
    await ingest(relay, { type: 'order.created', n: 2 });
    await waitFor('two failed attempts', () => receiver.received.length === 2);
    const health = row().locator('.health');
    await health.locator('.success', { hasText: '0% of 2 attempts' }).waitFor();
    assert.match((await health.textContent()) ?? '', /2 pending · failing since/);
    assert.doesNotMatch((await row().textContent()) ?? '', /n\/a/);
    assert.equal(await row().locator('.last-error .error').textContent(), 'HTTP 500');
    assert.equal(await row().locator('.last-error pre.excerpt').textContent(), 'receiver exploded: database is locked');
    assert.equal(await row().locator('svg.chart > title').textContent(), '2 recent attempts: 0 succeeded, 2 failed');
    assert.ok((await row().locator('svg.chart rect.bar-bad').count()) >= 1);
    assert.equal(await row().locator('svg.chart rect.bar-ok').count(), 0);
    assert.equal(await row().locator('figure.attempts-chart figcaption').textContent(), 'attempts, last 1 min');
    const { health: json } = (
      await api<{ health: Record<string, unknown> & { recent_attempts: unknown[] } }>(relay, `/v1/endpoints/${endpoint.id}`)
    ).body;
    assert.deepEqual(
      [json.success_rate, json.sample, json.pending, json.attempt_success_rate, json.attempt_sample, json.last_status_code],
      [null, 0, 2, 0, 2, 500],
    );
    assert.equal(json.last_response_body, 'receiver exploded: database is locked');
    assert.equal(json.recent_attempts.length, 2);
  });

  it('edits URL, description, filter, headers and rate limit', async () => {
    await row().getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: `Edit ${endpoint.url}` });
    assert.equal(await form.getByLabel('Types').inputValue(), 'order.*');
    await form.getByLabel('URL').fill(`${receiver.url}/v2/hooks`);
    await form.getByLabel('Description').fill('billing worker v2');
    await form.getByLabel('Sources').fill('dev');
    await form.getByLabel('Types').fill('order.*, invoice.paid');
    await form.getByLabel('Headers').fill('x-team: billing\nx-env: staging');
    await form.getByLabel('Rate limit (per second)').fill('5');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved ${endpoint.id}.`).waitFor();
    const saved = (await api<EndpointJson>(relay, `/v1/endpoints/${endpoint.id}`)).body;
    assert.deepEqual(
      [saved.url, saved.description, saved.filter, saved.headers, saved.rate_limit],
      [
        `${receiver.url}/v2/hooks`,
        'billing worker v2',
        { sources: ['dev'], types: ['order.*', 'invoice.paid'] },
        { 'x-team': 'billing', 'x-env': 'staging' },
        5,
      ],
    );
    await row().locator('code.url', { hasText: '/v2/hooks' }).waitFor();
    // A bad header line is refused in the page, with the line named; nothing is sent.
    await row().getByRole('button', { name: 'Edit' }).click();
    const again = page.getByRole('form', { name: `Edit ${receiver.url}/v2/hooks` });
    await again.getByLabel('Headers').fill('no colon here');
    await again.getByRole('button', { name: 'Save' }).click();
    await again.getByText('Header line 1 needs the form "name: value".').waitFor();
    await again.getByRole('button', { name: 'Cancel' }).click();
  });

  it('pauses and resumes the endpoint, and sends its pending deliveries now', async () => {
    await row().getByRole('button', { name: 'Pause' }).click();
    await row().locator('.badge', { hasText: 'paused' }).waitFor();
    assert.equal((await api<EndpointJson>(relay, `/v1/endpoints/${endpoint.id}`)).body.paused, true);
    await row().getByRole('button', { name: 'Resume' }).click();
    await row().getByRole('button', { name: 'Pause' }).waitFor();
    assert.equal((await api<EndpointJson>(relay, `/v1/endpoints/${endpoint.id}`)).body.paused, false);
    // Two deliveries wait an hour for their next attempt; this sends them now.
    const before = receiver.received.length;
    await row().getByRole('button', { name: 'Send pending now' }).click();
    await page.getByText('Sending 2 pending deliveries now.').waitFor();
    await waitFor('both attempted again', () => receiver.received.length === before + 2);
  });

  it('deletes only after confirmation; Keep it and Escape leave the endpoint alone', async () => {
    const dialog = page.getByRole('dialog', { name: 'Delete this endpoint?' });
    await row().getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /\d+ pending deliveries are failed and nothing more is sent to it/);
    // Focus starts on the safe choice.
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Keep it');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row().getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await api(relay, `/v1/endpoints/${endpoint.id}`)).status, 200);

    await row().getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText(`Deleted ${receiver.url}/v2/hooks.`).waitFor();
    await row().waitFor({ state: 'detached' });
    assert.equal((await api(relay, `/v1/endpoints/${endpoint.id}`)).status, 404);
  });

  it('ran without script errors in the page', () => {
    assert.deepEqual(browser.errors, []);
  });
});
