// What an event's activity costs as deliveries and runs pile up: a relay on 127.0.0.1 with one endpoint
// (a local receiver) and one triggered workflow; EVENTS webhooks are sent and delivered, then
// GET /v1/events/:id/activity is timed for the newest and the oldest event. The route reads per-event
// indexes, so the time should not grow with the number of deliveries and runs stored.
// Not a test: `npm run bench:activity [-- EVENTS REQUESTS]`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRelay } from '../test/helpers/relay.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { workflowDir } from '../test/workflows/workflow-dir.ts';
import { sized } from './lib/quick.ts';

const EVENTS = Number(process.argv[2] ?? sized(5000, 500));
const REQUESTS = Number(process.argv[3] ?? sized(300, 50));

const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
const dir = await workflowDir({
  'count.yaml': `name: count
on: { source: dev }
steps:
  - id: n
    uses: transform
    with: { value: "{{ event.payload.n }}" }
`,
});
const relay = await startRelay({
  sources: [{ name: 'dev', insecure: true, verify: { scheme: 'none' } }],
  sections: { workflows: { dir, watch: false } },
});
const call = async (path: string, body?: unknown) => {
  const res = await fetch(`${relay.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...relay.auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
};

try {
  await call('/v1/endpoints', { url: `${receiverUrl}/in` });
  const ids: string[] = [];
  for (let i = 0; i < EVENTS; i += 50) {
    const batch = Array.from({ length: Math.min(50, EVENTS - i) }, (_, j) =>
      fetch(`${relay.url}/hooks/dev`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: i + j }),
      }).then(async (res) => ((await res.json()) as { id: string }).id),
    );
    ids.push(...(await Promise.all(batch)));
  }
  ids.sort();
  await waitFor(
    'every delivery and run',
    async () => {
      const a = await call(`/v1/events/${ids.at(-1)}/activity`);
      const m = await (await fetch(`${relay.url}/metrics`)).text();
      const pending = /hookrelay_deliveries_pending\s+(\d+)/.exec(m)?.[1];
      return (a.runs as unknown[]).length === 1 && (pending === undefined || pending === '0');
    },
    120_000,
    200,
  );
  // Two rounds, both printed: the first overlaps the relay's own settling (run pruning, table compaction).
  for (const [label, id] of [
    ['warm-up newest', ids.at(-1)],
    ['warm-up oldest', ids[0]],
    ['newest', ids.at(-1)],
    ['oldest', ids[0]],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      const a = await call(`/v1/events/${id}/activity`);
      times.push(performance.now() - started);
      if ((a.deliveries as unknown[]).length !== 1 || (a.runs as unknown[]).length !== 1)
        throw new Error(`unexpected activity for ${id}`);
    }
    times.sort((x, y) => x - y);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
    console.log(
      `${label} event of ${EVENTS} (${EVENTS} deliveries, ${EVENTS} runs stored): activity p50 ${at(0.5)} ms, p99 ${at(0.99)} ms over ${REQUESTS} requests`,
    );
  }
} finally {
  await relay.stop();
  receiver.close();
}
