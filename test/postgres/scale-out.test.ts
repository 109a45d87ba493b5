import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import OpenAI from 'openai';
import { signHeaders } from '../../server/ingest/signers.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import {
  CLUSTER_TOKEN,
  listEvents,
  repeatsAfterKill,
  startCluster,
  startJsonReceiver,
  startSignedReceiver,
} from '../helpers/relay-cluster.ts';
import { waitFor } from '../helpers/wait.ts';

const SECRET = `whsec_${Buffer.from('three relays, one database, one dies').toString('base64')}`;
const MESSAGES = 240;
const KILL_AFTER_ACKS = 80;
const SENDERS = 6;
const ENDPOINT_CONCURRENCY = 4;
const AUTH = { authorization: `Bearer ${CLUSTER_TOKEN}` };

const WORKFLOW = `name: paid
on: { source: shop, type: order.paid }
steps:
  - id: hold
    uses: delay
    with: { for: 300ms }
  - id: notify
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/paid", json: { event: "{{ event.id }}" } }
`;

const typeOf = (i: number) => (i % 4 === 0 ? 'order.paid' : 'order.created');

/** POSTs one signed message; the event id if the relay acknowledged it (200), else null. */
async function send(url: string, i: number): Promise<{ id: string; duplicate: boolean } | null> {
  const body = JSON.stringify({ type: typeOf(i), n: i });
  const headers = signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: SECRET, body, id: `msg_${i}` });
  try {
    const res = await fetch(`${url}/hooks/shop`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    return res.status === 200 ? ((await res.json()) as { id: string; duplicate: boolean }) : null;
  } catch {
    return null; // the relay died mid-request: not acknowledged, so the sender tries another one
  }
}

async function json<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('three relays on one database, one killed with SIGKILL mid-load', { skip: skipWithoutPostgres, timeout: 90_000 }, () => {
  const schema = newSchema();
  let fake: FakeOpenAI;
  let endpointReceiver: Awaited<ReturnType<typeof startSignedReceiver>>;
  let workflowReceiver: Awaited<ReturnType<typeof startJsonReceiver>>;
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let subscriber: EventSource | undefined;

  before(async () => {
    fake = await startFakeOpenAI();
    endpointReceiver = await startSignedReceiver();
    workflowReceiver = await startJsonReceiver();
    // Each relay has its own API key upstream, so the fake tells which relay made a call.
    const configYaml = (i: number) => `sources:
  - name: shop
    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }
store: { driver: postgres, url: "\${DATABASE_URL}", schema: ${schema}, leaseSeconds: 1 }
workflows: { dir: ./workflows, env: [RECEIVER_URL] }
ai:
  backoffMs: 1
  upstreams:
    - { name: fake, baseURL: "${fake.baseURL}", apiKey: "key-${i}", models: ["fake-*"] }
`;
    cluster = await startCluster({
      count: 3,
      configYaml,
      files: { 'workflows/paid.yaml': WORKFLOW },
      env: { DATABASE_URL: testDatabaseUrl ?? '', RECEIVER_URL: workflowReceiver.url },
    });
  });
  after(async () => {
    subscriber?.close();
    fake?.release();
    await cluster?.stop();
    await Promise.all([fake?.close(), endpointReceiver?.close(), workflowReceiver?.close()]);
    await dropSchemas([schema]);
  });

  it("stores every acknowledged event once, delivers it, finishes runs and the dead relay's response on the others", async (t) => {
    const [a, b, victim] = cluster.members;
    const survivors = [a, b];

    // An endpoint created on one relay; every relay must know it before the load starts.
    const endpoint = await json<{ id: string; secret: string }>(a.url, '/v1/endpoints', {
      method: 'POST',
      body: { url: `${endpointReceiver.url}/hook`, filter: { sources: ['shop'] }, concurrency: ENDPOINT_CONCURRENCY },
    });
    endpointReceiver.setSecret(endpoint.secret);
    for (const m of cluster.members) {
      await waitFor(`the endpoint on ${m.url}`, async () =>
        (await json<{ data: Array<{ id: string }> }>(m.url, '/v1/endpoints')).data.some((e) => e.id === endpoint.id),
      );
    }

    // A subscriber on a relay that survives, with a token made through another relay.
    const { token } = await json<{ token: string }>(b.url, '/v1/tokens', {
      method: 'POST',
      body: { name: 'live', sources: ['shop'] },
    });
    await waitFor('the token to be known on the other relay', async () => {
      return (await fetch(`${a.url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
    });
    const seen: string[] = [];
    let opened = false;
    subscriber = new EventSource(`${a.url}/v1/events/stream?access_token=${token}&source=shop`);
    subscriber.onopen = () => {
      opened = true;
    };
    subscriber.onmessage = (message) => seen.push((JSON.parse(message.data) as { id: string }).id);
    await waitFor('the SSE subscriber to be connected', () => opened);

    // An AI response streaming on the relay about to die: the fake holds it after two tokens.
    fake.script({ tokenCount: 6, pauseAfter: 2 });
    const ai = new OpenAI({ apiKey: CLUSTER_TOKEN, baseURL: `${victim.url}/v1`, maxRetries: 0 });
    const response = await ai.responses.create({ model: 'fake-1', input: 'hold', background: true });
    const held = await waitFor('the response streaming from the victim', () => fake.requests.find((r) => r.paused));
    assert.equal(held.headers.authorization, 'Bearer key-2', 'the response runs on the relay that will be killed');

    // Signed ingest round-robin over the three; a message whose relay failed goes to the next live one.
    const acked = new Map<number, string>();
    let killedAt = Number.POSITIVE_INFINITY;
    let killing: Promise<void> | undefined;
    let next = 0;
    const sender = async () => {
      while (next < MESSAGES) {
        const i = next++;
        for (let attempt = 0; attempt < 6 && !acked.has(i); attempt++) {
          const live = cluster.members.filter((m) => m.alive);
          const target = live[(i + attempt) % live.length];
          const ack = await send(target.url, i);
          if (ack) acked.set(i, ack.id);
        }
        if (acked.size >= KILL_AFTER_ACKS && !killing) {
          killing = cluster.kill(victim).then(() => {
            killedAt = Date.now();
          });
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    await killing;
    assert.equal(acked.size, MESSAGES, 'every message was acknowledged by some relay');
    assert.equal((await victim.exited).signal, 'SIGKILL');

    // Stored exactly once: one event per provider message, the one each acknowledgement named.
    const stored = await listEvents(a.url, 'shop');
    assert.equal(stored.length, MESSAGES);
    const byMessage = new Map(stored.map((e) => [e.provider_id, e.id]));
    assert.equal(byMessage.size, MESSAGES, 'a provider message stored twice');
    for (const [i, id] of acked) assert.equal(byMessage.get(`msg_${i}`), id, `message ${i}`);
    const ackedIds = new Set(acked.values());
    assert.deepEqual(new Set((await listEvents(b.url, 'shop')).map((e) => e.id)), ackedIds);

    // Delivered at least once each, every signature valid; repeats only for attempts open at the kill.
    await waitFor(
      'every acknowledged event at the endpoint',
      () => {
        const got = new Set(endpointReceiver.receipts.filter((r) => r.valid).map((r) => r.id));
        const missing = [...ackedIds].filter((id) => !got.has(id));
        if (missing.length) throw new Error(`${missing.length} of ${ackedIds.size} not delivered yet`);
        return true;
      },
      30_000,
    );
    assert.deepEqual(
      endpointReceiver.receipts.filter((r) => !r.valid),
      [],
    );
    // The lane frees its slot when the receiver answers, before the outcome is written: a repeat is an
    // attempt the dead relay made whose outcome it had not recorded yet, so the row shows one attempt.
    type Delivery = { event_id: string; status: string; attempt_count: number };
    const deliveries = await waitFor('every delivery row to be written', async () => {
      const list = await json<{ data: Delivery[] }>(a.url, `/v1/endpoints/${endpoint.id}/deliveries?limit=500`);
      const done = list.data.filter((d) => d.status === 'succeeded');
      if (done.length < ackedIds.size) throw new Error(`${done.length} of ${list.data.length} succeeded`);
      return list.data;
    });
    assert.deepEqual(deliveries.map((d) => d.event_id).sort(), [...ackedIds].sort(), 'one delivery per event');
    assert.deepEqual(
      deliveries.filter((d) => d.status !== 'succeeded' || d.attempt_count !== 1),
      [],
    );
    const repeatedDeliveries = repeatsAfterKill(
      endpointReceiver.receipts.map((r) => ({ key: r.id, at: r.at })),
      ackedIds,
      killedAt,
    );

    // One run per paid event, every one finished on the survivors, its request made at least once.
    const paid = [...acked].filter(([i]) => typeOf(i) === 'order.paid').map(([, id]) => id);
    const runs = await waitFor(
      'every workflow run to succeed',
      async () => {
        const list = await json<{ data: Array<{ status: string; trigger_event_id: string }> }>(
          a.url,
          '/v1/workflows/paid/runs?limit=500',
        );
        const done = list.data.filter((r) => r.status === 'succeeded');
        if (done.length < paid.length || done.length < list.data.length) {
          throw new Error(`${done.length} of ${list.data.length} runs succeeded, ${paid.length} expected`);
        }
        return list.data;
      },
      30_000,
    );
    assert.deepEqual(runs.map((r) => r.trigger_event_id).sort(), [...paid].sort(), 'one run per paid event');
    const repeatedRequests = repeatsAfterKill(
      workflowReceiver.received.map((r) => ({ key: (r.json as { event: string }).event, at: r.at })),
      paid,
      killedAt,
    );

    // The response the dead relay held ends on a survivor: failed as interrupted (it had streamed
    // output) or completed if it was run again.
    const survivorAi = new OpenAI({ apiKey: CLUSTER_TOKEN, baseURL: `${a.url}/v1`, maxRetries: 0 });
    const finished = await waitFor(
      "the dead relay's response to end",
      async () => {
        const r = await survivorAi.responses.retrieve(response.id);
        if (r.status === 'completed' || r.status === 'failed') return r;
        throw new Error(`still ${r.status}`);
      },
      30_000,
    );
    if (finished.status === 'failed') {
      assert.equal((finished.error as { hookrelay_code?: string } | null)?.hookrelay_code, 'interrupted');
      assert.equal(finished.output_text, 't0 t1 ');
    } else {
      const rerun = fake.requests.filter((r) => r.finished && r.headers.authorization !== 'Bearer key-2');
      assert.ok(rerun.length >= 1, 'completed on a survivor');
    }

    // The subscriber on a survivor saw every acknowledged event, each once.
    await waitFor(
      'the subscriber to see every acknowledged event',
      () => {
        const got = new Set(seen);
        const missing = [...ackedIds].filter((id) => !got.has(id));
        if (missing.length) throw new Error(`${missing.length} of ${ackedIds.size} not seen`);
        return true;
      },
      10_000,
    );
    assert.equal(seen.length, new Set(seen).size, 'an event was streamed twice');
    for (const m of survivors) assert.equal((await fetch(`${m.url}/readyz`)).status, 200);
    t.diagnostic(
      `${MESSAGES} acknowledged, ${repeatedDeliveries.length} deliveries and ${repeatedRequests.length} workflow requests ` +
        `repeated after the kill, the dead relay's response ${finished.status}`,
    );
  });
});
