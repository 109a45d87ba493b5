import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { signHeaders } from '../../server/ingest/signers.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import {
  CLUSTER_TOKEN,
  adminJson,
  type ClusterMember,
  endpointOnEvery,
  listEvents,
  startCluster,
  subscribe,
  subscribeSocketIo,
} from '../helpers/relay-cluster.ts';
import { repeatsAfterKill, startJsonReceiver, startSignedReceiver } from '../helpers/receivers.ts';
import { waitFor } from '../helpers/wait.ts';

type Cluster = Awaited<ReturnType<typeof startCluster>>;

const SECRET = `whsec_${Buffer.from('three relays, one database, one dies').toString('base64')}`;
const MESSAGES = 240;
const KILL_AFTER_ACKS = 80;
const SENDERS = 6;
const ENDPOINT_CONCURRENCY = 4;
/** The roles the relay to be killed leads, so that its death moves event-driven work. */
const ROLES = ['role:delivery.fanout', 'role:workflows.trigger'];

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

/**
 * Sends every message round-robin over the live relays (a message whose relay failed goes to the
 * next live one, as a provider's retry through a load balancer would) and SIGKILLs `victim` once
 * KILL_AFTER_ACKS were acknowledged. Returns message number → acknowledged event id, and the kill time.
 */
async function ingestWhileKilling(cluster: Cluster, victim: ClusterMember) {
  const acked = new Map<number, string>();
  let killedAt = Number.POSITIVE_INFINITY;
  let killing: Promise<void> | undefined;
  let next = 0;
  const sender = async () => {
    while (next < MESSAGES) {
      const i = next++;
      for (let attempt = 0; attempt < 6 && !acked.has(i); attempt++) {
        const live = cluster.members.filter((m) => m.alive);
        const ack = await send(live[(i + attempt) % live.length].url, i);
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
  return { acked, killedAt };
}

/** Waits until `check` names nothing missing (it returns what is still missing, out of `total`). */
function waitForAll(what: string, total: number, missing: () => unknown[] | Promise<unknown[]>): Promise<true> {
  return waitFor(
    what,
    async () => {
      const left = (await missing()).length;
      if (left) throw new Error(`${left} of ${total} missing`);
      return true as const;
    },
    30_000,
  );
}

describe('three relays on one database, one killed with SIGKILL mid-load', { skip: skipWithoutPostgres, timeout: 90_000 }, () => {
  const schema = newSchema();
  let fake: FakeOpenAI;
  let endpointReceiver: Awaited<ReturnType<typeof startSignedReceiver>>;
  let workflowReceiver: Awaited<ReturnType<typeof startJsonReceiver>>;
  let cluster: Cluster;
  let subscriber: Awaited<ReturnType<typeof subscribe>> | undefined;
  let socketSubscriber: Awaited<ReturnType<typeof subscribeSocketIo>> | undefined;
  let a: ClusterMember;
  let endpoint: { id: string; secret: string };
  let response: { id: string };
  let acked: Map<number, string>;
  let ackedIds: Set<string>;
  let killedAt: number;
  let victimInstance: string;
  const roleOwners = async () =>
    queryTestDatabase<{ key: string; owner: string }>(`SELECT key, owner FROM ${schema}.relay_claims WHERE key = ANY($1)`, [
      ROLES,
    ]);

  before(async () => {
    fake = await startFakeOpenAI();
    endpointReceiver = await startSignedReceiver();
    workflowReceiver = await startJsonReceiver();
    // Each relay has its own API key upstream, so the fake tells which relay made a call. The lease is
    // short for a quick takeover, yet long enough that a live relay starved of CPU on a busy machine
    // is not taken for dead (heartbeats every lease / 3).
    const configYaml = (i: number) => `sources:
  - name: shop
    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }
store: { driver: postgres, url: "\${DATABASE_URL}", schema: ${schema}, leaseSeconds: 3 }
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
      // The relay started alone leads delivery fan-out and workflow triggers; it is the one killed.
      afterFirst: async () => {
        victimInstance = await waitFor('the first relay to lead every role', async () => {
          const owners = await roleOwners();
          return owners.length === ROLES.length ? owners[0].owner : null;
        });
      },
    });
  });
  after(async () => {
    subscriber?.close();
    socketSubscriber?.close();
    fake?.release();
    await cluster?.stop();
    await Promise.all([fake?.close(), endpointReceiver?.close(), workflowReceiver?.close()]);
    await dropSchemas([schema]);
  });

  it('acknowledges every message, spread over three relays, while one of them is killed', async () => {
    const [victim, first, second] = cluster.members;
    a = first;
    endpoint = await endpointOnEvery(cluster.members, {
      url: `${endpointReceiver.url}/hook`,
      filter: { sources: ['shop'] },
      concurrency: ENDPOINT_CONCURRENCY,
    });
    endpointReceiver.setSecret(endpoint.secret);
    subscriber = await subscribe(a, second, 'shop');
    socketSubscriber = await subscribeSocketIo(second, 'shop');
    // An AI response streaming on the relay about to die: the fake holds it after two tokens.
    fake.script({ tokenCount: 6, pauseAfter: 2 });
    const ai = new OpenAI({ apiKey: CLUSTER_TOKEN, baseURL: `${victim.url}/v1`, maxRetries: 0 });
    response = await ai.responses.create({ model: 'fake-1', input: 'hold', background: true });
    const held = await waitFor('the response streaming from the victim', () => fake.requests.find((r) => r.paused));
    assert.equal(held.headers.authorization, 'Bearer key-0', 'the response runs on the relay that will be killed');

    ({ acked, killedAt } = await ingestWhileKilling(cluster, victim));
    ackedIds = new Set(acked.values());
    assert.equal(acked.size, MESSAGES, 'every message was acknowledged by some relay');
    assert.equal((await victim.exited).signal, 'SIGKILL');
  });

  it('hands the roles the dead relay led to a survivor', async () => {
    await waitFor('both roles on a survivor', async () => {
      const owners = await roleOwners();
      return owners.length === ROLES.length && owners.every((o) => o.owner !== victimInstance);
    });
  });

  it('stores each acknowledged event exactly once, as acknowledged, readable on every survivor', async () => {
    const stored = await listEvents(a.url, 'shop');
    assert.equal(stored.length, MESSAGES);
    const byMessage = new Map(stored.map((e) => [e.provider_id, e.id]));
    assert.equal(byMessage.size, MESSAGES, 'a provider message stored twice');
    for (const [i, id] of acked) assert.equal(byMessage.get(`msg_${i}`), id, `message ${i}`);
    for (const m of cluster.members.filter((x) => x.alive)) {
      assert.deepEqual(new Set((await listEvents(m.url, 'shop')).map((e) => e.id)), ackedIds);
      assert.equal((await fetch(`${m.url}/readyz`)).status, 200);
    }
  });

  it('delivers each event, signed, with a repeat only for an attempt the dead relay had not recorded', async (t) => {
    await waitForAll('every acknowledged event at the endpoint', ackedIds.size, () => {
      const got = new Set(endpointReceiver.receipts.filter((r) => r.valid).map((r) => r.id));
      return [...ackedIds].filter((id) => !got.has(id));
    });
    assert.deepEqual(
      endpointReceiver.receipts.filter((r) => !r.valid),
      [],
    );
    // The lane frees its slot when the receiver answers, before the outcome is written: a repeat is an
    // attempt the dead relay made whose outcome it had not recorded yet, so the row shows one attempt.
    type Delivery = { event_id: string; status: string; attempt_count: number };
    let deliveries: Delivery[] = [];
    await waitForAll('every delivery row to be written', ackedIds.size, async () => {
      deliveries = (await adminJson<{ data: Delivery[] }>(a.url, `/v1/endpoints/${endpoint.id}/deliveries?limit=500`)).data;
      return [...ackedIds].filter((id) => !deliveries.some((d) => d.event_id === id && d.status === 'succeeded'));
    });
    assert.equal(deliveries.length, ackedIds.size, 'one delivery per event');
    assert.deepEqual(
      deliveries.filter((d) => d.attempt_count !== 1),
      [],
    );
    const repeated = repeatsAfterKill(
      endpointReceiver.receipts.map((r) => ({ key: r.id, at: r.at })),
      ackedIds,
      killedAt,
    );
    t.diagnostic(`${repeated.length} deliveries repeated after the kill`);
  });

  it('finishes one run per paid event on the survivors, a step repeated only if unrecorded at the kill', async (t) => {
    const paid = [...acked].filter(([i]) => typeOf(i) === 'order.paid').map(([, id]) => id);
    type Run = { status: string; trigger_event_id: string };
    let runs: Run[] = [];
    await waitForAll('every workflow run to succeed', paid.length, async () => {
      runs = (await adminJson<{ data: Run[] }>(a.url, '/v1/workflows/paid/runs?limit=500')).data;
      return paid.filter((id) => !runs.some((r) => r.trigger_event_id === id && r.status === 'succeeded'));
    });
    assert.deepEqual(runs.map((r) => r.trigger_event_id).sort(), [...paid].sort(), 'one run per paid event');
    const repeated = repeatsAfterKill(
      workflowReceiver.received.map((r) => ({ key: (r.json as { event: string }).event, at: r.at })),
      paid,
      killedAt,
    );
    t.diagnostic(`${repeated.length} workflow requests repeated after the kill`);
  });

  it("ends the dead relay's AI response on a survivor: interrupted, or completed when run again", async (t) => {
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
      // It had streamed output, so it is not run again (docs/ai.md, "After a crash or restart").
      assert.equal((finished.error as { hookrelay_code?: string } | null)?.hookrelay_code, 'interrupted');
      assert.equal(finished.output_text, 't0 t1 ');
    } else {
      const rerun = fake.requests.filter((r) => r.finished && r.headers.authorization !== 'Bearer key-0');
      assert.ok(rerun.length >= 1, 'completed on a survivor');
    }
    t.diagnostic(`the response ended ${finished.status}`);
  });

  it('streamed every acknowledged event, once, to an SSE and a Socket.IO subscriber on the survivors', async () => {
    for (const [name, seen] of [
      ['SSE', subscriber?.seen ?? []],
      ['Socket.IO', socketSubscriber?.seen ?? []],
    ] as const) {
      await waitForAll(`the ${name} subscriber to see every acknowledged event`, ackedIds.size, () => {
        const got = new Set(seen);
        return [...ackedIds].filter((id) => !got.has(id));
      });
      assert.equal(seen.length, new Set(seen).size, `an event was sent twice to the ${name} subscriber`);
    }
  });
});
