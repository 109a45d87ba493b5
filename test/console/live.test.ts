import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { CONSOLE_SOURCES, sendSigned } from './fixtures.ts';

const rowIds = (page: Page) =>
  page.locator('.event-list > li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id));
const connection = (page: Page, state: string) => page.locator(`#connection[data-state="${state}"]`).waitFor();

describe('browser console: the live feed', () => {
  let relay: TestRelay;
  let browser: ConsoleBrowser;
  let page: Page;

  before(async () => {
    relay = await startRelay({ sources: CONSOLE_SOURCES });
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, relay.url, ADMIN_TOKEN);
    await connection(page, 'live');
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  it('shows a signed webhook at the top of the list within a second of the relay accepting it', async () => {
    const first = await sendSigned(relay, 'github', { zen: 'Keep it logically awesome.' }, { event: 'ping' });
    await page.locator(`.event-row[data-id="${first.id}"]`).waitFor({ timeout: 1000 });
    const second = await sendSigned(relay, 'shop', { type: 'order.created', order: { id: 'o_9' } });
    await page.locator(`.event-row[data-id="${second.id}"]`).waitFor({ timeout: 1000 });
    assert.deepEqual(await rowIds(page), [second.id, first.id]);
    assert.match((await page.locator('.stat[data-source="shop"]').textContent()) ?? '', /shop\s*1/);
  });

  it('applies the source filter to live events as well', async () => {
    await page.getByLabel('Source').fill('shop');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.event-row')].every((li) => (li as HTMLElement).dataset.source === 'shop'),
    );
    await connection(page, 'live');
    const github = await sendSigned(relay, 'github', { zen: 'Filtered out.' }, { event: 'ping' });
    const shop = await sendSigned(relay, 'shop', { type: 'order.paid', order: { id: 'o_9' } });
    // The stream keeps arrival order: once the later shop event is shown, the github one was not.
    await page.locator(`.event-row[data-id="${shop.id}"]`).waitFor({ timeout: 1000 });
    assert.equal(await page.locator(`.event-row[data-id="${github.id}"]`).count(), 0);
    await page.getByLabel('Source').fill('');
    await page.locator(`.event-row[data-id="${github.id}"]`).waitFor();
  });

  it('holds events while paused, counts them, and shows every one on resume', async () => {
    await connection(page, 'live');
    const before = await rowIds(page);
    await page.getByRole('button', { name: 'Pause' }).click();
    const held = [];
    for (let i = 0; i < 3; i++) held.push((await sendSigned(relay, 'shop', { type: 'order.created', n: i })).id!);
    await page.getByRole('button', { name: 'Resume (3 new)' }).waitFor();
    await page.locator('.stat.held', { hasText: '3 new while paused' }).waitFor();
    assert.deepEqual(await rowIds(page), before, 'nothing is drawn while paused');
    await page.keyboard.press('p');
    await page.locator(`.event-row[data-id="${held[2]}"]`).waitFor();
    assert.deepEqual(await rowIds(page), [...held.reverse(), ...before]);
    assert.equal(await page.getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed'), 'false');
    assert.equal(await page.locator('.stat.held').count(), 0);
  });

  it('reconnects after the connection drops and resumes from its cursor without losing events', async () => {
    const before = await rowIds(page);
    const streamUrls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/v1/events/stream')) streamUrls.push(request.url());
    });
    // Hold reconnection attempts back until the missed events are stored, then let them through.
    await page.route('**/v1/events/stream**', (route) => route.abort());
    relay.relay.server.closeAllConnections();
    await connection(page, 'reconnecting');
    const missed = [];
    for (let i = 0; i < 2; i++) missed.push((await sendSigned(relay, 'github', { zen: `missed ${i}` }, { event: 'ping' })).id!);
    await page.unroute('**/v1/events/stream**');
    await connection(page, 'live');
    await page.locator(`.event-row[data-id="${missed[1]}"]`).waitFor();
    assert.deepEqual(await rowIds(page), [...missed.reverse(), ...before]);
    assert.equal(new URL(streamUrls.at(-1)!).searchParams.get('after'), before[0], 'resumed after the last event shown');
  });

  it('says offline while the relay cannot be reached, and live again once it can', async () => {
    await connection(page, 'live');
    await page.route('**/v1/**', (route) => route.abort('connectionrefused'));
    relay.relay.server.closeAllConnections();
    await connection(page, 'offline');
    await page.unroute('**/v1/**');
    await connection(page, 'live');
    const next = await sendSigned(relay, 'shop', { type: 'order.created', after: 'outage' });
    await page.locator(`.event-row[data-id="${next.id}"]`).waitFor();
  });

  it('keeps at most 500 rows, dropping the oldest, while every event is counted', async () => {
    const shopCount = async () =>
      Number(/shop\s*(\d+)/.exec((await page.locator('.stat[data-source="shop"]').textContent()) ?? '')?.[1]);
    const before = await shopCount();
    const ids: string[] = [];
    for (let batch = 0; batch < 11; batch++) {
      const sent = await Promise.all(
        Array.from({ length: 50 }, (_, i) => sendSigned(relay, 'shop', { type: 'bulk.item', n: batch * 50 + i })),
      );
      ids.push(...sent.map((r) => r.id!));
    }
    ids.sort();
    await page.locator(`.event-row[data-id="${ids.at(-1)}"]`).waitFor();
    const shown = await rowIds(page);
    assert.equal(shown.length, 500);
    assert.deepEqual(shown.slice(0, 50), ids.slice(-50).reverse(), 'newest first');
    assert.equal(await page.locator(`.event-row[data-id="${ids[0]}"]`).count(), 0, 'the oldest fell off');
    assert.equal(await shopCount(), before + 550);
  });

  it('closes the stream and hides the indicator once signed out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#connection[data-state="offline"]').waitFor({ state: 'hidden' });
    await page.getByLabel('Token').waitFor();
    assert.deepEqual(browser.errors, []);
  });
});
