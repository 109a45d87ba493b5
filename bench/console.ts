// How the browser console keeps up with a busy relay: webhooks at a steady rate into a relay on
// 127.0.0.1, one console in Debian's Chromium following the live feed. Prints ingest-to-row latency
// (from the relay's 200 to the row in the page), whether every event reached the page, the row count
// (bounded) and the page's JS heap. Not a test: `npm run bench:console [-- RATE SECONDS DROP_MS]`.
// With DROP_MS the relay drops every open connection that often (the console's stream and the sender's
// keep-alive sockets): the console must resume by cursor and still count every event.
import { cpus } from 'node:os';
import type { Page } from 'playwright-core';
import { signHeaders } from '../server/ingest/signers.ts';
import { launchBrowser, signIn } from '../test/helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../test/helpers/relay.ts';
import { sized } from './lib/quick.ts';

const RATE = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? sized(10, 3));
const DROP_MS = Number(process.argv[4] ?? 0);
const SECRET = 'bench-secret';

async function sendOne(relay: TestRelay, n: number): Promise<{ id: string; ackedAt: number }> {
  const body = JSON.stringify({ ref: 'refs/heads/main', n, commits: [{ id: n.toString(16), message: `commit ${n}` }] });
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    ...signHeaders({ verify: { scheme: 'github' }, secret: SECRET, body }),
  };
  // A dropped connection is retried with the same delivery id: if the first try was stored, the relay
  // answers the retry as a duplicate with the first id.
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${relay.url}/hooks/github`, { method: 'POST', headers, body });
      const { id } = (await res.json()) as { id: string };
      return { id, ackedAt: Date.now() };
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

/** Sends RATE events per second for SECONDS, paced by wall time (not by answers), all in flight at once. */
async function sendAtRate(relay: TestRelay) {
  const total = RATE * SECONDS;
  const started = Date.now();
  const pending: Promise<{ id: string; ackedAt: number }>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    pending.push(sendOne(relay, n));
  }
  return Promise.all(pending);
}

/** Records, in the page, when each event's row was first added to the list. */
async function watchRows(page: Page) {
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { seen: Record<string, number> }).seen = seen;
    new MutationObserver((records) => {
      const now = Date.now();
      for (const record of records) {
        for (const node of record.addedNodes) {
          const id = (node as HTMLElement).dataset?.id;
          if (id && !(id in seen)) seen[id] = now;
        }
      }
    }).observe(document.querySelector('.event-list')!, { childList: true });
    const drops = { count: 0 };
    (window as unknown as { drops: { count: number } }).drops = drops;
    const indicator = document.getElementById('connection')!;
    let previous = indicator.dataset.state;
    new MutationObserver(() => {
      if (previous === 'live' && indicator.dataset.state !== 'live') drops.count++;
      previous = indicator.dataset.state;
    }).observe(indicator, { attributes: true, attributeFilter: ['data-state'] });
  });
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const relay = await startRelay({ sources: [{ name: 'github', verify: { scheme: 'github', secrets: [SECRET] } }] });
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await signIn(page, relay.url, ADMIN_TOKEN);
  await page.locator('#connection[data-state="live"]').waitFor();
  await watchRows(page);
  const dropper = DROP_MS > 0 ? setInterval(() => relay.relay.server.closeAllConnections(), DROP_MS) : undefined;
  const acked = await sendAtRate(relay);
  clearInterval(dropper);
  const last = acked.at(-1)!.id;
  await page.waitForFunction((id) => id in (window as unknown as { seen: Record<string, number> }).seen, last, {
    timeout: 30_000,
  });
  const seen = await page.evaluate(() => (window as unknown as { seen: Record<string, number> }).seen);
  const latencies = acked
    .filter((a) => a.id in seen)
    .map((a) => Math.max(0, seen[a.id] - a.ackedAt))
    .sort((x, y) => x - y);
  const counted = await page.locator('.stat[data-source="github"]').textContent();
  const rows = await page.locator('.event-list > li').count();
  const heap = await page.evaluate(
    () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
  );
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}`);
  console.log(
    `sent ${acked.length} signed webhooks at ${RATE}/s for ${SECONDS} s${DROP_MS ? `, all connections dropped every ${DROP_MS} ms` : ''}`,
  );
  const drops = await page.evaluate(() => (window as unknown as { drops: { count: number } }).drops.count);
  console.log(`rows drawn: ${latencies.length} of ${acked.length}; stream drops (resumed by cursor): ${drops}`);
  console.log('(a row is never drawn when more than 500 newer events arrive in the same batch, e.g. a replay after a drop)');
  console.log(`counted by the page: ${counted?.trim()}`);
  console.log(
    `ingest-to-row latency ms: p50 ${percentile(latencies, 50)}, p99 ${percentile(latencies, 99)}, max ${latencies.at(-1)}`,
  );
  console.log(`rows in the list at the end: ${rows}; page JS heap: ${(heap / 1048576).toFixed(1)} MiB`);
} finally {
  await browser.close();
  await relay.stop();
}
