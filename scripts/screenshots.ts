// Screenshots of the browser console for the README (docs/console-*.png). Not part of the tests:
// `npm run screenshots` starts a relay on a free port, sends a few signed webhooks and one forged one,
// creates endpoints, runs a workflow, a response and a batch against a local fake upstream, and
// photographs each page in Debian's Chromium at 1400x900, and the main pages again at 390x844 (a phone).
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { signHeaders } from '../server/ingest/signers.ts';
import { launchBrowser, signIn } from '../test/helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../test/helpers/relay.ts';
import { areaSections, openPage, seedAreas, startAreas } from './screenshots-areas.ts';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const SECRETS = { github: 'gh-secret', stripe: 'whsec_stripe_demo', openai: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };

async function send(relay: TestRelay, source: keyof typeof SECRETS, payload: unknown, extra: Record<string, string> = {}) {
  const body = JSON.stringify(payload);
  const scheme = source === 'openai' ? 'standard-webhooks' : source;
  const headers = { 'content-type': 'application/json', 'user-agent': `${source}-hookshot/1.0`, ...extra };
  const id = extra['x-github-delivery'];
  Object.assign(headers, signHeaders({ verify: { scheme }, secret: extra['x-forge'] ? 'wrong' : SECRETS[source], body, id }));
  const res = await fetch(`${relay.url}/hooks/${source}`, { method: 'POST', headers, body });
  return (await res.json()) as { id?: string };
}

async function seed(relay: TestRelay) {
  await send(relay, 'stripe', {
    id: 'evt_1Q',
    type: 'invoice.paid',
    data: { object: { id: 'in_1', amount_paid: 4200, currency: 'eur' } },
  });
  await send(
    relay,
    'github',
    { action: 'opened', issue: { number: 42, title: 'Retry storms after deploy' } },
    { 'x-github-event': 'issues' },
  );
  await send(relay, 'openai', { type: 'response.completed', data: { id: 'resp_abc123' } });
  await send(
    relay,
    'github',
    { ref: 'refs/heads/main', commits: [{ id: '9fceb02', message: 'Bound the fan-out buffer' }] },
    { 'x-github-event': 'push' },
  );
  await send(relay, 'stripe', {
    id: 'evt_2Q',
    type: 'invoice.paid',
    data: { object: { id: 'in_2', amount_paid: 9900, currency: 'eur' } },
  });
  await send(relay, 'stripe', {
    id: 'evt_3Q',
    type: 'customer.updated',
    data: { object: { id: 'cus_9', email: 'ada@example.com' } },
  });
  await send(relay, 'openai', { type: 'response.failed', data: { id: 'resp_def456' } });
  // Redeliveries (the same GitHub delivery id, the same Stripe event id) are absorbed as duplicates; the
  // same OpenAI body under a new webhook-id becomes a second event marked as a repeat.
  const ping = { zen: 'Design for failure.', hook_id: 7 };
  await send(relay, 'github', ping, { 'x-github-event': 'ping', 'x-github-delivery': 'b7e5c2a0-0001' });
  await send(relay, 'github', ping, { 'x-github-event': 'ping', 'x-github-delivery': 'b7e5c2a0-0001' });
  await send(relay, 'stripe', {
    id: 'evt_3Q',
    type: 'customer.updated',
    data: { object: { id: 'cus_9', email: 'ada@example.com' } },
  });
  await send(relay, 'openai', { type: 'response.failed', data: { id: 'resp_def456' } });
  await send(relay, 'github', { zen: 'Forged.' }, { 'x-github-event': 'ping', 'x-forge': '1' });
  await fetch(`${relay.url}/hooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await fetch(`${relay.url}/hooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
}

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: `${DOCS}${name}.png` });
  console.log(`docs/${name}.png`);
}

const areas = await startAreas();
const relay = await startRelay({
  sections: areaSections(areas),
  sources: [
    { name: 'github', verify: { scheme: 'github', secrets: [SECRETS.github] } },
    { name: 'stripe', verify: { scheme: 'stripe', secrets: [SECRETS.stripe] } },
    { name: 'openai', verify: { scheme: 'standard-webhooks', secrets: [SECRETS.openai] } },
  ],
});
const browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
const phone = await launchBrowser({ viewport: { width: 390, height: 844 } });
try {
  await seed(relay);
  const page = await browser.newPage();
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${relay.url}/`);
  await shoot(page, 'console-sign-in');
  await signIn(page, relay.url, ADMIN_TOKEN);
  await page.waitForFunction(() => document.querySelectorAll('.event-list > li').length === 9);
  await page.locator('.stat .dup').first().waitFor();
  await page.locator('.event-row[data-type="push"] .event-open').click();
  await page.locator('#detail-title').waitFor();
  await shoot(page, 'console-events');
  const invoices = page.locator('.event-row[data-type="invoice.paid"] input');
  await invoices.nth(0).check();
  await invoices.nth(1).check();
  await page.getByRole('button', { name: 'Compare 2/2' }).click();
  await page.locator('pre.diff-payload').waitFor();
  await shoot(page, 'console-diff');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.keyboard.press('Escape');
  for (let i = 0; i < 3; i++) await send(relay, 'openai', { type: 'response.completed', data: { id: `resp_${i}` } });
  await page.getByRole('button', { name: 'Resume (3 new)' }).waitFor();
  await page.locator('.event-row .event-open').first().focus();
  await shoot(page, 'console-paused');
  await page.getByRole('link', { name: 'Rejections' }).click();
  await page.locator('table.rejections tbody tr').first().waitFor();
  await shoot(page, 'console-rejections');
  await page.getByRole('link', { name: 'Sources' }).click();
  await page.getByLabel('Name').fill('orders');
  await page.getByLabel('Description').fill('shop orders (made here, no restart)');
  await page.getByRole('button', { name: 'Create source' }).click();
  await page.locator('.source-reveal').waitFor();
  await shoot(page, 'console-sources');
  await seedAreas(relay, areas, async () => {
    await send(relay, 'stripe', { id: 'evt_4Q', type: 'invoice.paid', data: { object: { id: 'in_3', amount_paid: 1200 } } });
    await send(relay, 'github', { action: 'closed', issue: { number: 42 } }, { 'x-github-event': 'issues' });
    await send(relay, 'github', { ref: 'refs/heads/main', commits: [{ id: 'a1b2c3d' }] }, { 'x-github-event': 'push' });
  });
  await openPage(page, 'Endpoints', 'tbody tr');
  await page.locator('tr[data-endpoint] svg.chart').first().waitFor();
  await page.locator('tbody tr').first().getByRole('button', { name: 'Deliveries' }).click();
  await page.locator('.detail table tbody tr').first().waitFor();
  await shoot(page, 'console-endpoints');
  await page.locator('tbody tr').nth(1).getByRole('button', { name: 'Edit' }).click();
  await page.locator('form.endpoint-form.edit').waitFor();
  await shoot(page, 'console-endpoint-edit');
  await page.goto(`${relay.url}/#/events`);
  await page.locator('.event-row[data-type="push"] .event-open').first().click();
  await page.locator('.activity .deliveries-caused li').first().waitFor();
  await page.locator('.activity .runs-caused li').first().waitFor();
  await page.locator('.panes > .detail h3', { hasText: 'What it caused' }).scrollIntoViewIfNeeded();
  await shoot(page, 'console-event-activity');
  await openPage(page, 'Workflows', '.workflow-error');
  await page.getByRole('button', { name: 'announce-pushes' }).click();
  await page.locator('svg.workflow-graph').waitFor();
  await page.locator('tr[data-run] button.link').first().click();
  await page.locator('.run-detail .step-card').first().waitFor();
  await shoot(page, 'console-workflows');
  const push = await page.evaluate(() =>
    fetch('/v1/events?type=push&tail=true&limit=1', {
      headers: { authorization: `Bearer ${localStorage.getItem('hookrelay.token')}` },
    }).then((r) => r.json()),
  );
  await page.getByLabel('Event', { exact: true }).fill(push.data[0].id);
  await page.getByRole('button', { name: 'Dry run', exact: true }).click();
  await page.locator('.dry-run[data-status]').waitFor();
  await page.locator('.dry-run').scrollIntoViewIfNeeded();
  await shoot(page, 'console-dry-run');
  await openPage(page, 'Responses', '.response-list tbody tr');
  await page.locator('.response-list tbody tr a').first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="text"]')?.textContent?.includes('drains.'));
  await shoot(page, 'console-responses');
  await openPage(page, 'Batches', 'tbody tr');
  await shoot(page, 'console-batches');

  const small = await phone.newPage();
  await small.emulateMedia({ colorScheme: 'light' });
  await signIn(small, relay.url, ADMIN_TOKEN);
  await small.locator('.event-list > li').first().waitFor();
  await shoot(small, 'console-phone-events');
  await small.locator('.event-row[data-type="push"] .event-open').first().click();
  await small.locator('.activity .deliveries-caused li').first().waitFor();
  await small.locator('.panes > .detail h3', { hasText: 'What it caused' }).scrollIntoViewIfNeeded();
  await shoot(small, 'console-phone-event');
  await openPage(small, 'Endpoints', 'tr[data-endpoint] svg.chart');
  await shoot(small, 'console-phone-endpoints');
  await openPage(small, 'Workflows', '.workflow-error');
  await small.getByRole('button', { name: 'announce-pushes' }).click();
  await small.locator('svg.workflow-graph').waitFor();
  await shoot(small, 'console-phone-workflows');
} finally {
  await phone.close();
  await browser.close();
  await relay.stop();
  await areas.close();
}
