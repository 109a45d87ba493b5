import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { CONSOLE_SOURCES, GITHUB_SECRET, sendSigned } from './fixtures.ts';

const run = promisify(execFile);

const PUSH = { ref: 'refs/heads/main', commits: [{ id: 'c0ffee', message: 'Fix the flux capacitor' }] };
const ISSUE = { action: 'opened', issue: { number: 7, title: 'Console needs a diff' } };
const ORDER_A = { type: 'order.created', order: { id: 'o_1', amount: 5, currency: 'EUR' } };
const ORDER_B = { type: 'order.created', order: { id: 'o_2', amount: 7, currency: 'EUR' } };

const rows = (page: Page) => page.locator('.event-list > li');
const rowIds = (page: Page) => rows(page).evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id));

/** Waits until the list shows exactly `count` rows (the list re-renders as filters change). */
async function waitForRowCount(page: Page, count: number) {
  await page.waitForFunction((n) => document.querySelectorAll('.event-list > li').length === n, count);
}

async function clipboard(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Waits until the clipboard holds text starting with `prefix` (copies are async) and returns that text. */
function copiedStartingWith(page: Page, prefix: string): Promise<string> {
  return waitFor(`the clipboard to hold "${prefix}…"`, async () => {
    const text = await clipboard(page);
    return text.startsWith(prefix) ? text : null;
  });
}

describe('browser console: events, detail, diff, rejections', () => {
  let relay: TestRelay;
  let browser: ConsoleBrowser;
  let page: Page;
  const ids: Record<string, string> = {};

  before(async () => {
    relay = await startRelay({ sources: CONSOLE_SOURCES });
    ids.push = (await sendSigned(relay, 'github', PUSH, { event: 'push' })).id!;
    ids.issue = (await sendSigned(relay, 'github', ISSUE, { event: 'issues' })).id!;
    ids.orderA = (await sendSigned(relay, 'shop', ORDER_A)).id!;
    ids.orderB = (await sendSigned(relay, 'shop', ORDER_B)).id!;
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  it('refuses a wrong token, then signs in and lists stored events newest first', async () => {
    await page.goto(`${relay.url}/`);
    await page.getByLabel('Token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted.').waitFor();
    await signIn(page, relay.url, ADMIN_TOKEN);
    await waitForRowCount(page, 4);
    assert.deepEqual(await rowIds(page), [ids.orderB, ids.orderA, ids.issue, ids.push]);
    assert.match((await page.locator('.stat[data-source="github"]').textContent()) ?? '', /github\s*2/);
    assert.match((await page.locator('.stat[data-source="shop"]').textContent()) ?? '', /shop\s*2/);
    assert.equal(await page.locator('.event-row[data-id="' + ids.push + '"] .badge.ok').textContent(), 'verified');
  });

  it('filters by source, by type glob and by text in payload or headers', async () => {
    await page.getByLabel('Source').fill('shop');
    await waitForRowCount(page, 2);
    assert.deepEqual(await rowIds(page), [ids.orderB, ids.orderA]);
    await page.getByLabel('Source').fill('');
    await page.getByLabel('Type').fill('*.opened');
    await waitForRowCount(page, 1);
    assert.deepEqual(await rowIds(page), [ids.issue]);
    await page.getByLabel('Type').fill('');
    await page.getByLabel('Search').fill('flux capacitor');
    await waitForRowCount(page, 1);
    assert.deepEqual(await rowIds(page), [ids.push]);
    await page.getByLabel('Search').fill('x-github-event: issues');
    await waitForRowCount(page, 1);
    assert.deepEqual(await rowIds(page), [ids.issue]);
    await page.getByLabel('Search').fill('');
    await waitForRowCount(page, 4);
  });

  it('opens an event with Enter and shows its headers and pretty JSON', async () => {
    await page.locator(`.event-row[data-id="${ids.push}"] .event-open`).focus();
    await page.keyboard.press('Enter');
    await page.locator('#detail-title', { hasText: 'push' }).waitFor();
    assert.equal(await page.locator('pre.payload').textContent(), JSON.stringify(PUSH, null, 2));
    assert.equal(await page.locator('.facts .badge.ok').textContent(), 'verified github');
    const headerNames = await page.locator('table.headers th').allTextContents();
    assert.ok(headerNames.includes('x-github-event'));
    assert.ok(headerNames.includes('x-hub-signature-256'));
    assert.equal(await page.locator(`.event-row[data-id="${ids.push}"]`).getAttribute('aria-current'), 'true');
  });

  it('copies the payload, a curl command and a hookrelay send command', async () => {
    await page.getByRole('button', { name: 'Copy payload' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await clipboard(page), JSON.stringify(PUSH, null, 2));
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await copiedStartingWith(page, 'curl');
    assert.ok(curl.startsWith(`curl -X POST '${relay.url}/hooks/github'`), curl);
    assert.ok(curl.includes(`-H 'x-github-event: push'`), curl);
    assert.ok(curl.endsWith(`--data-binary '${JSON.stringify(PUSH)}'`), curl);
    await page.getByRole('button', { name: 'Copy as hookrelay send' }).click();
    assert.equal(
      await copiedStartingWith(page, 'hookrelay send'),
      `hookrelay send --source 'github' --url '${relay.url}' --header 'x-github-event: push' --data '${JSON.stringify(PUSH)}'`,
    );
  });

  it('is one Tab stop for the whole list, at the last focused row, with a visible focus outline', async () => {
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return {
          what:
            el.tagName === 'INPUT' ? `${(el as HTMLInputElement).type}:${(el as HTMLInputElement).name}` : el.textContent?.trim(),
          row: el.closest('li')?.dataset.id,
          outline: getComputedStyle(el).outlineStyle,
        };
      });
    await page.getByLabel('Search').focus();
    await page.keyboard.press('Tab');
    assert.equal((await focused()).what, 'checkbox:internal');
    await page.keyboard.press('Tab');
    assert.equal((await focused()).what, 'Pause');
    await page.keyboard.press('Tab'); // Compare is disabled with nothing ticked, so the list comes next
    const box = await focused();
    assert.deepEqual([box.what, box.row], ['checkbox:', ids.push]);
    assert.notEqual(box.outline, 'none');
    await page.keyboard.press('Tab');
    const row = await focused();
    assert.equal(row.row, ids.push);
    assert.notEqual(row.outline, 'none');
    await page.keyboard.press('Tab');
    assert.equal((await focused()).row, undefined, 'the next Tab leaves the list');
  });

  it('shows a line diff of the payloads and headers of two selected events', async () => {
    await page.getByLabel(`Select order.created ${ids.orderA} for diff`).check();
    await page.getByLabel(`Select order.created ${ids.orderB} for diff`).check();
    await page.getByRole('button', { name: 'Compare 2/2' }).click();
    await page.locator('#detail-title', { hasText: 'Diff' }).waitFor();
    const payloadDiff = await page.locator('pre.diff-payload > div').allTextContents();
    assert.ok(payloadDiff.includes('-     "amount": 5,'), payloadDiff.join('\n'));
    assert.ok(payloadDiff.includes('+     "amount": 7,'), payloadDiff.join('\n'));
    assert.ok(payloadDiff.includes('-     "id": "o_1"'), payloadDiff.join('\n'));
    assert.ok(payloadDiff.includes('      "currency": "EUR",'), 'unchanged context is shown');
    const headerDiff = await page.locator('pre.diff-headers > div.del').allTextContents();
    assert.ok(
      headerDiff.some((line) => line.includes('"webhook-id"')),
      'the message ids differ',
    );
  });

  it('drives the list and the diff from the keyboard', async () => {
    await page.keyboard.press('Escape');
    await page.getByText('Open an event').waitFor();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), 'text');
    await page.locator('.event-list .event-open').first().focus();
    await page.keyboard.press('j');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('li')?.dataset.id), ids.orderA);
    await page.keyboard.press('x');
    assert.equal(await page.getByRole('button', { name: /^Compare/ }).textContent(), 'Compare 1/2', 'x unticks a ticked row');
    assert.equal(await page.getByLabel(`Select order.created ${ids.orderA} for diff`).isChecked(), false);
    await page.keyboard.press('x');
    assert.equal(await page.getByRole('button', { name: /^Compare/ }).textContent(), 'Compare 2/2');
    await page.keyboard.press('Space');
    await page.locator('#detail-title', { hasText: 'order.created' }).waitFor();
    await page.keyboard.press('c');
    await page.locator('#detail-title', { hasText: 'Diff' }).waitFor();
  });

  it('keeps ticked events across a filter change, so events from different sources can be compared', async () => {
    await page.keyboard.press('Escape');
    await page.getByLabel(`Select order.created ${ids.orderB} for diff`).uncheck();
    assert.equal(await page.getByLabel(`Select order.created ${ids.orderA} for diff`).isChecked(), true);
    await page.getByLabel('Source').fill('github');
    await waitForRowCount(page, 2);
    await page.getByLabel(`Select push ${ids.push} for diff`).check();
    await page.getByRole('button', { name: 'Compare 2/2' }).click();
    const legend = (await page.locator('.diff-legend').textContent()) ?? '';
    assert.ok(legend.includes(`− ${ids.push}`) && legend.includes(`+ ${ids.orderA}`), legend);
    await page.getByLabel('Source').fill('');
    await waitForRowCount(page, 4);
    assert.equal(await page.getByLabel(`Select order.created ${ids.orderA} for diff`).isChecked(), true);
    await page.getByLabel(`Select order.created ${ids.orderA} for diff`).uncheck();
    await page.getByLabel(`Select push ${ids.push} for diff`).uncheck();
    assert.equal(await page.getByRole('button', { name: /^Compare/ }).textContent(), 'Compare 0/2');
  });

  it('marks a payload re-sent under a new provider id as a repeat and counts absorbed duplicates', async () => {
    const repeat = await sendSigned(relay, 'github', PUSH, { event: 'push' });
    const first = await sendSigned(relay, 'github', ISSUE, { event: 'issues', id: 'delivery-1' });
    const again = await sendSigned(relay, 'github', ISSUE, { event: 'issues', id: 'delivery-1' });
    assert.equal(again.duplicate, true);
    assert.equal(again.id, first.id);
    await page.reload();
    await waitForRowCount(page, 6);
    assert.equal(await page.locator(`.event-row[data-id="${repeat.id}"] .badge.warn`).textContent(), 'repeat');
    assert.equal(await page.locator(`.event-row[data-id="${ids.push}"] .badge.warn`).count(), 0, 'the first one is no repeat');
    await page.locator('.stat[data-source="github"]', { hasText: '1 duplicate absorbed' }).waitFor();
  });

  it('replays the exact original request when the copied curl command is run: a verified duplicate', async () => {
    await page.locator(`.event-row[data-id="${ids.push}"] .event-open`).click();
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await copiedStartingWith(page, 'curl');
    const { stdout } = await run('sh', ['-c', `${curl} --silent --show-error`]);
    // Same bytes and signature (GitHub signs no timestamp), same delivery id: accepted and recognised.
    assert.deepEqual(JSON.parse(stdout), { id: ids.push, duplicate: true });
  });

  it('stores the same payload again when the copied hookrelay send command is run in a shell', async () => {
    await page.locator(`.event-row[data-id="${ids.push}"] .event-open`).click();
    await page.getByRole('button', { name: 'Copy as hookrelay send' }).click();
    const copied = await copiedStartingWith(page, 'hookrelay send');
    // Run exactly what was copied (the shell does the unquoting); the secret and scheme would come from
    // hookrelay.yaml, which this temporary directory does not have.
    const cwd = await mkdtemp(join(tmpdir(), 'hookrelay-send-'));
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(fileURLToPath(new URL('../../bin/hookrelay.js', import.meta.url)))}`;
    const script = `${copied.replace(/^hookrelay /, `${cli} `)} --scheme github --secret ${GITHUB_SECRET}`;
    const { stdout } = await run('sh', ['-c', script], { cwd });
    await rm(cwd, { recursive: true, force: true });
    const answer = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { id: string; duplicate: boolean };
    assert.equal(answer.duplicate, false);
    const stored = (await (await fetch(`${relay.url}/v1/events/${answer.id}`, { headers: relay.auth })).json()) as {
      type: string;
      payload: unknown;
    };
    assert.equal(stored.type, 'push');
    assert.deepEqual(stored.payload, PUSH);
    await page.locator(`.event-row[data-id="${answer.id}"] .badge.warn`, { hasText: 'repeat' }).waitFor();
  });

  it('opens the event named in the address (#/events/<id>), and says so when there is none', async () => {
    await page.goto(`${relay.url}/#/events/${ids.issue}`);
    await page.locator('#detail-title', { hasText: 'issues.opened' }).waitFor();
    assert.equal(await page.locator(`.event-row[data-id="${ids.issue}"]`).getAttribute('aria-current'), 'true');
    await page.locator(`.event-row[data-id="${ids.orderA}"] .event-open`).click();
    await page.locator('#detail-title', { hasText: 'order.created' }).waitFor();
    assert.ok(page.url().endsWith(`#/events/${ids.orderA}`), 'opening an event updates the address');
    await page.goto(`${relay.url}/#/events/evt_00000000000000000000zz`);
    await page.getByText('No event evt_00000000000000000000zz').waitFor();
  });

  it('lists a refused request with its reason in the rejections view', async () => {
    const refused = await sendSigned(relay, 'github', { zen: 'forged' }, { event: 'ping', secret: 'wrong-secret' });
    assert.equal(refused.status, 401);
    await page.getByRole('link', { name: 'Rejections' }).click();
    const row = page.locator('table.rejections tr[data-code="signature_invalid"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[1], 'github');
    assert.equal(cells[2], '401');
    assert.match(cells[4], /Signature does not match/);
  });

  it('computes line diffs that rebuild both sides with the fewest edits (200 random pairs)', async () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pairs = Array.from({ length: 200 }, () => {
      const lines = () => Array.from({ length: random(30) }, () => 'abcdef'[random(6)]);
      return [lines(), lines()];
    });
    const diffs = await page.evaluate(
      async ({ input, module }) => {
        const { diffLines } = await import(module);
        return input.map(([a, b]) => diffLines(a, b) as { op: string; text: string }[]);
      },
      { input: pairs, module: '/ui/lib/diff.js' },
    );
    pairs.forEach(([a, b], i) => {
      const diff = diffs[i];
      assert.deepEqual(
        diff.filter((l) => l.op !== '+').map((l) => l.text),
        a,
      );
      assert.deepEqual(
        diff.filter((l) => l.op !== '-').map((l) => l.text),
        b,
      );
      const edits = diff.filter((l) => l.op !== ' ').length;
      assert.equal(edits, a.length + b.length - 2 * lcsLength(a, b), `pair ${i} is not a shortest edit script`);
    });
  });

  it('holds at most 500 events while paused, counting every one (the page model, in the page)', async () => {
    const result = await page.evaluate(async (module) => {
      const { EventFeed, MAX_EVENTS } = await import(module);
      const feed = new EventFeed();
      const event = (n: number) => ({ id: `evt_${String(n).padStart(6, '0')}`, source: 's', type: 't', payload: { n } });
      feed.reset([event(0)]);
      feed.pause();
      for (let n = 1; n <= MAX_EVENTS + 20; n++) feed.add(event(n));
      const held = { count: feed.heldCount, backlog: feed.backlog.length, shownWhilePaused: feed.events.length };
      const { shown } = feed.resume();
      return {
        held,
        max: MAX_EVENTS,
        shown: shown.length,
        newest: feed.events[0].id,
        size: feed.events.length,
        counted: feed.counts.get('s'),
      };
    }, '/ui/pages/events/feed.js');
    assert.deepEqual(result.held, { count: result.max + 20, backlog: result.max, shownWhilePaused: 1 });
    assert.equal(result.newest, `evt_${String(result.max + 20).padStart(6, '0')}`);
    assert.equal(result.size, result.max);
    assert.equal(result.counted, result.max + 1, 'the 20 dropped from the hold were never in view');
  });

  it('shows a source-scoped subscriber token only its source, and no link to the rejection log', async () => {
    const created = await fetch(`${relay.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shop-only', sources: ['shop'] }),
    });
    const { token } = (await created.json()) as { token: string };
    await page.goto(`${relay.url}/#/events`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, relay.url, token);
    await waitForRowCount(page, 2);
    assert.deepEqual(await rowIds(page), [ids.orderB, ids.orderA]);
    assert.deepEqual(await page.locator('#nav a').allTextContents(), ['Events']);
  });

  it('ran without script errors in the page', () => {
    assert.deepEqual(browser.errors, []);
  });
});

/** Textbook dynamic-programming LCS length: the reference the diff's edit count is checked against. */
function lcsLength(a: string[], b: string[]): number {
  const row = new Array(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.length];
}
