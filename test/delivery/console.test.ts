import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './receiver.ts';
import { api, createEndpoint, deliveries, deliveryRelay, ingest } from './setup.ts';

describe('console endpoints page in Chromium', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let browser: Browser;
  before(async () => {
    relay = await deliveryRelay({ delivery: { scheduleSeconds: [0] } });
    receiver = await new Receiver().start();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
    await receiver.stop();
  });

  it('shows endpoint health and deliveries, and retries a failed delivery and rotates the secret', async () => {
    let up = false;
    receiver.answer = () => (up ? { status: 200 } : { status: 500, body: 'receiver down' });
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/console`, description: 'console test' });
    await ingest(relay, { type: 'shown.in.console' });
    await waitFor('the failed delivery', async () => (await deliveries(relay, endpoint.id))[0]?.status === 'failed');

    const page = await browser.newPage();
    await page.goto(relay.url);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await page.click('#sign-in button[type=submit]');
    await page.click('nav a[href="#/endpoints"]');
    const row = page.locator(`tr[data-endpoint="${endpoint.id}"]`);
    await row.waitFor();
    assert.match(String(String(await row.textContent())), /console test/);
    assert.match(String(String(await row.textContent())), /0%/);
    assert.match(String(String(await row.textContent())), /HTTP 500/);

    await row.getByRole('button', { name: 'Deliveries' }).click();
    const delivery = page.locator('tr[data-delivery]');
    await delivery.first().waitFor();
    assert.equal(await delivery.first().getAttribute('data-status'), 'failed');
    await delivery.first().locator('summary').click();
    assert.match(String(await delivery.first().textContent()), /receiver down/);

    up = true;
    await delivery.first().getByRole('button', { name: 'Retry' }).click();
    await page.locator('tr[data-delivery][data-status="succeeded"]').waitFor();

    await row.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText(/New secret for/).waitFor();
    const secret = await api<{ previous: unknown[] }>(relay, `/v1/endpoints/${endpoint.id}/secret`);
    assert.equal(secret.body.previous.length, 1);

    const other = await ingest(relay, { type: 'replayed.from.console' });
    await page.fill('input[name=event_id]', other);
    await page.getByRole('button', { name: 'Replay' }).click();
    await waitFor('the replayed event', () => receiver.received.find((r) => r.headers['webhook-id'] === other));

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    assert.equal((await api(relay, `/v1/endpoints/${endpoint.id}`)).body.enabled, false);
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByRole('button', { name: 'Disable' }).waitFor();
    assert.equal((await api(relay, `/v1/endpoints/${endpoint.id}`)).body.enabled, true);

    up = false;
    const failing = await ingest(relay, { type: 'recovered.from.console' });
    await waitFor('its failure', async () => (await deliveries(relay, endpoint.id)).some((d) => d.status === 'failed'));
    up = true;
    await page.getByRole('button', { name: 'Recover' }).click();
    await page.getByText(/Re-sending 1 failed deliveries/).waitFor();
    await waitFor('the recovered delivery', async () =>
      (await deliveries(relay, endpoint.id)).every((d) => d.status === 'succeeded'),
    );
    assert.ok(receiver.received.filter((r) => r.headers['webhook-id'] === failing).length === 2);
    await page.close();
  });
});
