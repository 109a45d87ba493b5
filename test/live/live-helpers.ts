import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { signHeaders } from '../../server/ingest/signers.ts';
import type { RelayEvent } from '../../server/store/types.ts';
import { startRelay, type TestRelay, type TestRelayOptions } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const verify = { scheme: 'standard-webhooks' as const, secrets: [SECRET] };

/** A relay with signed sources `a` and `b`, quick SSE retry and keepalive for tests. */
export function startLiveRelay(options: TestRelayOptions & { stream?: Record<string, unknown> } = {}): Promise<TestRelay> {
  return startRelay({
    driver: 'memory',
    ...options,
    sources: [
      { name: 'a', verify },
      { name: 'b', verify },
    ],
    sections: { stream: { retryMs: 20, ...options.stream }, ...options.sections },
  });
}

/** Posts a signed webhook the way a provider would; resolves to the stored event id. */
export async function sendWebhook(relay: TestRelay, source: string, payload: unknown): Promise<string> {
  const body = JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', ...signHeaders({ verify, secret: SECRET, body }) };
  const res = await fetch(`${relay.url}/hooks/${source}`, { method: 'POST', headers, body });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Stored events, oldest first, paging through the events API. */
export async function storedEvents(relay: TestRelay, from = '', max = 1000): Promise<RelayEvent[]> {
  const events: RelayEvent[] = [];
  let after = from ? `&after=${from}` : '';
  while (events.length < max) {
    const res = await fetch(`${relay.url}/v1/events?limit=1000${after}`, { headers: relay.auth });
    const page = (await res.json()) as { data: RelayEvent[]; has_more: boolean; last_id: string };
    events.push(...page.data);
    if (!page.has_more) break;
    after = `&after=${page.last_id}`;
  }
  return events;
}

export async function subscriberToken(relay: TestRelay, sources?: string[]): Promise<string> {
  const res = await fetch(`${relay.url}/v1/tokens`, {
    method: 'POST',
    headers: { ...relay.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'test subscriber', sources }),
  });
  return ((await res.json()) as { token: string }).token;
}

/** The connections of SSE streams opened from now on, so a test can cut them from the server side. */
export function trackStreams(relay: TestRelay): Socket[] {
  const sockets: Socket[] = [];
  relay.relay.server.on('request', (req: IncomingMessage) => {
    // Express has already rewritten req.url below its mount point by now.
    if (req.url?.includes('/events/stream')) sockets.push(req.socket);
  });
  return sockets;
}

export async function metricValue(relay: TestRelay, name: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Reads SSE frames from a fetch response body (for assertions on the frames themselves). */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      yield text.slice(0, end);
      text = text.slice(end + 2);
      end = text.indexOf('\n\n');
    }
  }
}

/**
 * Emits 32 KiB events four at a time, each group read by the fast subscriber (`received` counts what it
 * got) before the next, until the transport's cut-off counter moves, then one more group. Returns how
 * many were emitted. Fails if the slow subscriber is never cut off within 2000 events.
 */
export async function emitUntilCut(relay: TestRelay, transport: 'sse' | 'socketio', received: () => number): Promise<number> {
  const payload = { type: 'bulk', filler: 'x'.repeat(32_768) };
  let emitted = 0;
  const group = async () => {
    for (let i = 0; i < 4; i++, emitted++) await relay.relay.ctx.eventService.emit({ source: 'a', type: 'bulk', payload });
    await waitFor('the fast subscriber keeps up', () => received() === emitted);
  };
  while ((await metricValue(relay, `hookrelay_live_subscribers_cut_total{transport="${transport}"}`)) === 0) {
    if (emitted >= 2000) throw new Error(`the slow ${transport} subscriber was never cut off`);
    await group();
  }
  await group();
  return emitted;
}
