import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Receiver } from '../delivery/receiver.ts';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { cspViolations, enforceCsp, seriousViolations, sidewaysOverflow } from '../helpers/console-checks.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import { CONSOLE_SOURCES, sendSigned } from './fixtures.ts';

// The console as the place to debug a webhook: from an event to everything it caused, and back.

const WORKFLOWS = {
  'tag.yaml': `name: tag
on: { source: shop, type: order.created }
steps:
  - id: double
    uses: transform
    with: { value: { total: "{{ event.payload.order.amount * 2 }}" } }
  - id: label
    uses: transform
    with: { value: "{{ 'order ' & event.payload.order.id }}" }
`,
  'ping.yaml': `name: ping
steps:
  - id: label
    uses: transform
    with: { value: "{{ 'amount ' & event.payload.order.amount }}" }
  - id: fan
    parallel:
      - id: call
        uses: http.request
        with: { url: "{{ env.RECEIVER }}/ping", json: { text: "{{ steps.label.output }}" } }
      - id: size
        uses: transform
        with: { value: "{{ $length(steps.label.output) }}" }
`,
  'fanout.yaml': `name: fanout
steps:
  - id: fan
    parallel:
      - id: left
        uses: transform
        with: { value: "{{ event.payload.order.id }}" }
      - id: right
        uses: transform
        with: { value: "{{ event.payload.order.amount }}" }
  - id: each
    uses: transform
    foreach: "{{ ['a', 'b'] }}"
    continueOnError: true
    with: { value: "{{ item = 'b' ? $error('item b refused') : { 'sent': item } }}" }
  - id: approve
    uses: wait.callback
    with: { timeout: 1h }
`,
  'shout.yaml': `name: shout
steps:
  - id: say
    uses: emit
    with: { type: shouted, payload: { loud: true } }
`,
};

const MARKUP = '<img src=x id=injected>';
const ORDER = { type: 'order.created', order: { id: 'o_7', amount: 7, note: MARKUP } };
const OTHER = { type: 'order.created', order: { id: 'o_9', amount: 9 } };

async function api<T>(relay: TestRelay, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${relay.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...relay.auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const openEvent = async (page: Page, id: string) => {
  await page.locator(`.event-row[data-id="${id}"] .event-open`).click();
  await page.locator('.facts dt', { hasText: 'request' }).waitFor();
};

describe('browser console: debugging an event end to end', () => {
  let dataDir: string;
  let relay: TestRelay;
  let receiver: Receiver;
  let browser: ConsoleBrowser;
  let page: Page;
  let endpointId: string;
  const ids: Record<string, string> = {};

  before(async () => {
    receiver = await new Receiver().start();
    process.env.RECEIVER = receiver.url;
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-console-debug-'));
    relay = await startRelay({
      dataDir,
      sources: CONSOLE_SOURCES,
      sections: {
        delivery: { scheduleSeconds: [0] },
        workflows: { dir: await workflowDir(WORKFLOWS), watch: false, env: ['RECEIVER'] },
      },
    });
    // No event type matches this endpoint's filter: deliveries to it are resends only.
    endpointId = (
      await api<{ id: string }>(relay, '/v1/endpoints', { url: `${receiver.url}/resent`, filter: { types: ['none.*'] } })
    ).id;
    ids.other = (await sendSigned(relay, 'shop', OTHER)).id as string;
    browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    page = await browser.newPage();
    await enforceCsp(page, relay.url);
    await signIn(page, relay.url, ADMIN_TOKEN);
    await page.locator(`.event-row[data-id="${ids.other}"]`).waitFor();
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
    await receiver?.stop();
    await rm(dataDir, { recursive: true, force: true });
    delete process.env.RECEIVER;
  });

  it('shows a webhook sent to a source live, with its request facts and its raw body as text', async () => {
    const sent = await sendSigned(relay, 'shop', ORDER);
    ids.order = sent.id as string;
    await page.locator(`.event-row[data-id="${ids.order}"]`).waitFor({ timeout: 2000 });
    await openEvent(page, ids.order);
    const facts = Object.fromEntries(
      await page
        .locator('.facts > div')
        .evaluateAll((divs) => divs.map((d) => [d.querySelector('dt')?.textContent, d.querySelector('dd')?.textContent])),
    );
    assert.equal(facts.request, 'POST /hooks/shop');
    assert.equal(facts.client, '127.0.0.1');
    assert.equal(facts.size, `${Buffer.byteLength(JSON.stringify(ORDER))} B · application/json`);
    // The raw body is text: the markup in it is shown, and no element was made from it.
    await page.locator('pre.raw-body', { hasText: 'order.created' }).waitFor();
    assert.equal(await page.locator('pre.raw-body').textContent(), JSON.stringify(ORDER));
    assert.equal(await page.locator('#injected').count(), 0);
    // One time format: the list and the detail show the same text, the full timestamp on hover.
    const listTime = page.locator(`.event-row[data-id="${ids.order}"] time`);
    const detailTime = page.locator('.facts time');
    assert.equal(await listTime.textContent(), await detailTime.textContent());
    assert.match((await listTime.textContent()) ?? '', /^\d\d:\d\d:\d\d$/);
    const event = await api<{ received_at: string }>(relay, `/v1/events/${ids.order}`);
    assert.ok((await detailTime.getAttribute('title'))?.includes(event.received_at), 'full ISO timestamp in the tooltip');
  });

  it('lists the run the event triggered, and shows a resend to an endpoint live in the detail', async () => {
    const run = page.locator('.runs-caused li[data-status="succeeded"]');
    await run.waitFor();
    assert.match((await run.textContent()) ?? '', /tag · run_.*double: succeeded → label: succeeded/);
    assert.equal(await page.locator('.deliveries-caused li').count(), 0);

    await page.getByRole('checkbox', { name: `${receiver.url}/resent` }).check();
    await page.getByRole('button', { name: 'Resend' }).click();
    const delivery = page.locator(`.deliveries-caused li[data-endpoint="${endpointId}"][data-status="succeeded"]`);
    await delivery.waitFor();
    assert.match((await delivery.textContent()) ?? '', /replay, 1 attempt.*HTTP 204 in \d+ ms/);
    const received = receiver.received.filter((r) => r.path === '/resent');
    assert.equal(received.length, 1);
    assert.equal(received[0].headers['webhook-id'], ids.order);
  });

  it('runs a workflow on the event, shows the run live and opens its run view', async () => {
    await page.getByLabel('Workflow to run').selectOption('tag');
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.runs-caused li[data-status="succeeded"]').length === 2);
    await page.locator('.runs-caused li a').last().click();
    const detail = page.locator('.run-detail[data-status="succeeded"]');
    await detail.waitFor();
    assert.equal(await page.locator('main').getAttribute('data-page'), 'workflows');
    const double = detail.locator('li.step-card[data-step="double"]');
    assert.match((await double.locator('.step-timing').textContent()) ?? '', /took \d+ ms, 1 attempt/);
    assert.match((await double.getByLabel('double output').textContent()) ?? '', /"total": 14/);
    // The step's evaluated input is shown beside its output.
    assert.match((await double.getByLabel('double input').textContent()) ?? '', /"value"/);
    assert.deepEqual(await page.locator('svg.workflow-graph g.node').evaluateAll((g) => g.map((n) => n.getAttribute('class'))), [
      'node succeeded',
      'node succeeded',
    ]);
    await detail.getByRole('link', { name: 'Open the trigger event' }).click();
    await page.locator('#detail-title', { hasText: 'order.created' }).waitFor();
  });

  it('searches by payload path, and hides internal events unless asked, never calling them verified', async () => {
    await page.getByLabel('Search').fill('order.amount=7');
    await page.waitForFunction(() => document.querySelectorAll('.event-list > li').length === 1);
    assert.equal(await page.locator('.event-list > li').getAttribute('data-id'), ids.order);
    await page.getByLabel('Search').fill('order.id!=o_7');
    await page.waitForFunction(() => document.querySelectorAll('.event-list > li').length === 1);
    assert.equal(await page.locator('.event-list > li').getAttribute('data-id'), ids.other);
    await page.getByLabel('Search').fill('');

    const run = await api<{ id: string }>(relay, '/v1/workflows/shout/runs', { event: { type: 'go', payload: {} } });
    const emitted = await waitFor('the emitted event', async () => {
      const r = await api<{ status: string; steps: Array<{ output?: { id: string } }> }>(relay, `/v1/runs/${run.id}`);
      return r.status === 'succeeded' ? r.steps[0].output?.id : null;
    });
    const row = page.locator(`.event-row[data-id="${emitted}"]`);
    // It arrives over the live stream like any event, but stays out of the list by default.
    await page.waitForFunction(() =>
      /of \d+ loaded match/.test(document.querySelector('.stat[data-stat="shown"]')?.textContent ?? ''),
    );
    assert.equal(await row.count(), 0);
    await page.getByLabel('Show internal').check();
    await row.waitFor();
    assert.equal(await row.locator('.badge.internal').textContent(), 'internal');
    assert.equal(await row.locator('.badge.ok').count(), 0);
    await openEvent(page, emitted);
    assert.equal(
      await page.locator('.facts > div', { hasText: 'request' }).locator('dd').textContent(),
      'none: emitted by the relay itself',
    );
    assert.equal(await page.locator('.facts dt', { hasText: 'client' }).count(), 0);
    await page.getByLabel('Show internal').uncheck();
    await row.waitFor({ state: 'detached' });
  });

  it('dry-runs a workflow against a chosen stored event without sending anything', async () => {
    const before = receiver.received.length;
    await page.goto(`${relay.url}/#/workflows`);
    await page.getByRole('button', { name: 'ping', exact: true }).click();
    await page.locator('svg.workflow-graph').waitFor();
    await page.getByLabel('Event', { exact: true }).fill(ids.order);
    await page.getByRole('button', { name: 'Dry run', exact: true }).click();
    const result = page.locator('.dry-run[data-status="succeeded"]');
    await result.waitFor();
    assert.match((await result.locator('li[data-step="label"]').textContent()) ?? '', /"amount 7"/);
    assert.equal(await result.locator('li[data-step="call"]').getAttribute('data-status'), 'not_run');
    // The branches of the parallel group are marked with it; the pure one ran.
    assert.match((await result.locator('li[data-step="call"] .badge.group').textContent()) ?? '', /parallel: fan/);
    assert.equal(await result.locator('li[data-step="size"]').getAttribute('data-status'), 'succeeded');
    assert.equal(await result.locator('li[data-step="size"]').getAttribute('data-group'), 'fan');
    assert.match((await result.locator('li[data-step="call"] pre').textContent()) ?? '', new RegExp(`${receiver.url}/ping`));
    assert.equal(receiver.received.length, before, 'the http.request step sent nothing');
    assert.equal((await api<{ data: unknown[] }>(relay, '/v1/runs?workflow=ping')).data.length, 0, 'no run was stored');
  });

  it('shows foreach items, parallel groups and a callback wait of a real run', async () => {
    const run = await api<{ id: string }>(relay, '/v1/workflows/fanout/runs', { event_id: ids.other });
    const waiting = await waitFor('the run to wait for its callback', async () => {
      const r = await api<{ status: string; steps: Array<{ id: string; callback_url?: string }> }>(relay, `/v1/runs/${run.id}`);
      return r.status === 'waiting' ? r : null;
    });
    const callbackUrl = waiting.steps.find((step) => step.id === 'approve')?.callback_url ?? '';
    assert.match(callbackUrl, /\/callbacks\/[^/]+\/approve$/);
    await page.goto(`${relay.url}/#/workflows/fanout/${run.id}`);
    const detail = page.locator(`.run-detail[data-run="${run.id}"]`);
    await detail.locator('li[data-step="approve"]').waitFor();
    assert.deepEqual(await detail.locator('li.step-card[data-group="fan"] .badge.group').allTextContents(), [
      'parallel: fan',
      'parallel: fan',
    ]);
    const items = detail.locator('li[data-step="each"] table.foreach-items tbody tr');
    assert.deepEqual(await items.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status)), [
      'succeeded',
      'failed',
    ]);
    assert.match((await items.nth(1).textContent()) ?? '', /item b refused/);
    assert.ok(
      ((await detail.locator('li[data-step="approve"] .callback').textContent()) ?? '').includes(
        `Waiting for a callback at ${callbackUrl}`,
      ),
    );
    // The graph draws the two branches of the parallel group side by side (one row), the rest below.
    const tops = await page
      .locator('svg.workflow-graph g.node rect')
      .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('y'))));
    assert.equal(tops.length, 4);
    assert.equal(tops[0], tops[1]);
    assert.ok(tops[2] > tops[1] && tops[3] > tops[2], `rows below the group: ${tops.join(', ')}`);
    const answered = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approved: true }),
    });
    assert.equal(answered.status, 200);
    await waitFor('the run to finish after its callback', async () =>
      (await api<{ status: string }>(relay, `/v1/runs/${run.id}`)).status === 'succeeded' ? true : null,
    );
  });

  it('passes axe (no serious or critical violations) and the CSP on every page, and fits a phone', async () => {
    const pages: Array<[string, string]> = [
      [`#/events/${ids.order}`, '.runs-caused li'],
      ['#/rejections', 'main h1'],
      [`#/endpoints/${endpointId}`, '.endpoint-detail table'],
      ['#/workflows/tag', 'svg.workflow-graph'],
      ['#/responses', 'main h1'],
      ['#/batches', 'main h1'],
    ];
    for (const viewport of [
      { width: 1400, height: 900 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(viewport);
      for (const [hash, ready] of pages) {
        await page.goto(`${relay.url}/${hash}`);
        await page.locator(ready).first().waitFor();
        assert.deepEqual(await seriousViolations(page), [], `${hash} at ${viewport.width}px`);
        assert.deepEqual(await cspViolations(page), [], `${hash}: CSP`);
        if (viewport.width === 390) assert.equal(await sidewaysOverflow(page), 0, `${hash} scrolls sideways at 390px`);
      }
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    assert.deepEqual(await seriousViolations(page), [], 'sign-in form');
    await signIn(page, relay.url, ADMIN_TOKEN);
    const icon = await fetch(`${relay.url}/favicon.ico`);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.match(await icon.text(), /<svg/);
    const linked = await page.evaluate(() =>
      fetch((document.querySelector('link[rel=icon]') as HTMLLinkElement).href).then((r) => r.status),
    );
    assert.equal(linked, 200);
  });

  it('says the relay is offline while it is down and is live again within 2 s of it coming back', async (t) => {
    await page.goto(`${relay.url}/#/events`);
    await page.locator('#connection[data-state="live"]').waitFor();
    const port = Number(new URL(relay.url).port);
    await relay.stop();
    await page.locator('#offline-banner').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#connection').getAttribute('data-state'), 'offline');

    relay = await startRelay({ dataDir, port, sources: CONSOLE_SOURCES });
    const back = Date.now();
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.locator('#offline-banner').waitFor({ state: 'hidden' });
    const tookMs = Date.now() - back;
    t.diagnostic(`live again ${tookMs} ms after the relay was listening`);
    assert.ok(tookMs < 2000, `live again after ${tookMs} ms`);
    // Nothing was missed: an event sent now shows up.
    const later = await sendSigned(relay, 'shop', { type: 'order.created', order: { id: 'o_after' } });
    await page.locator(`.event-row[data-id="${later.id}"]`).waitFor();
  });

  it('ran without script errors in the page', () => {
    assert.deepEqual(browser.errors, []);
  });
});
