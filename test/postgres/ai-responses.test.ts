import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Webhook } from 'standardwebhooks';
import { AI_RESPONSES } from '../../plugins/sdk.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { survivorAndChild } from '../helpers/killed-instance.ts';
import { waitFor } from '../helpers/wait.ts';

const sdk = (url: string) => new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
const aiSection = (fake: FakeOpenAI) => ({
  backoffMs: 1,
  concurrency: 1,
  upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }],
});

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('AI responses on two relay instances sharing one PostgreSQL database', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let fake: FakeOpenAI;
  let a: TestRelay;
  let b: TestRelay;
  let clientA: OpenAI;
  let clientB: OpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
    const options = {
      driver: 'postgres' as const,
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 },
      sections: { ai: aiSection(fake) },
    };
    [a, b] = await Promise.all([startRelay(options), startRelay(options)]);
    clientA = sdk(a.url);
    clientB = sdk(b.url);
  });
  after(async () => {
    fake.release();
    await Promise.all([a?.stop(), b?.stop()]);
    await fake.close();
    await dropSchemas([schema]);
  });

  it('retrieves on B a response running on A, and resumes its stream on B with exactly the remaining events', async () => {
    fake.script({ tokenCount: 6, pauseAfter: 3 });
    const created = await clientA.responses.create({ model: 'fake-a', input: 'count', background: true });
    // Read on A up to the second delta, then drop the connection.
    let k = -1;
    for await (const event of await clientA.responses.retrieve(created.id, { stream: true })) {
      if (event.type === 'response.output_text.delta' && event.delta === 't1 ') {
        k = event.sequence_number;
        break;
      }
    }
    await waitFor('the upstream to pause after three tokens', () => fake.requests.at(-1)?.paused);
    // B's reads follow A's writes within milliseconds, not at once.
    await waitFor('B to show the response in progress', async () => {
      return (await clientB.responses.retrieve(created.id)).status === 'in_progress';
    });
    await waitFor('B to see the three tokens streamed on A', async () => {
      return (await clientB.responses.retrieve(created.id)).output_text === 't0 t1 t2 ';
    });

    const listed = await fetch(`${b.url}/v1/responses?limit=100`, { headers: b.auth });
    const page = (await listed.json()) as { data: Array<{ id: string; status: string }> };
    assert.equal(page.data.find((r) => r.id === created.id)?.status, 'in_progress', 'listed on B');
    // What a workflow step on B waits on: the service follows the row A writes.
    const service = b.relay.ctx.services.get(AI_RESPONSES);
    const settled = service?.waitForTerminal(created.id);

    const resumed = await clientB.responses.retrieve(created.id, { stream: true, starting_after: k });
    fake.release();
    const events = await collect(resumed);
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      Array.from({ length: events.length }, (_, i) => k + 1 + i),
      'every event after k exactly once, in order',
    );
    assert.equal(events.at(-1)?.type, 'response.completed');
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    assert.deepEqual(deltas, ['t2 ', 't3 ', 't4 ', 't5 ']);
    // The same events as A's own stored stream from k on.
    const replayOnA = await collect(await clientA.responses.retrieve(created.id, { stream: true, starting_after: k }));
    assert.deepEqual(events, replayOnA);
    assert.equal((await settled)?.status, 'completed');
    const done = await clientB.responses.retrieve(created.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.output_text, 't0 t1 t2 t3 t4 t5 ');
  });

  it('cancels on B a response running on A: the upstream call is aborted and the stream ends cancelled', async () => {
    fake.script({ tokenCount: 50, pauseAfter: 2 });
    const created = await clientA.responses.create({ model: 'fake-a', input: 'long', background: true });
    const request = await waitFor('the upstream call to be paused mid-stream', () => fake.requests.find((r) => r.paused));
    const cancelled = await clientB.responses.cancel(created.id);
    assert.equal(cancelled.status, 'cancelled');
    await waitFor('the upstream request to be aborted', () => request.aborted, 30_000);
    assert.equal((await clientA.responses.retrieve(created.id)).status, 'cancelled');
    const events = await collect(await clientB.responses.retrieve(created.id, { stream: true }));
    assert.equal(events.at(-1)?.type, 'response.cancelled');
    assert.equal(events.filter((e) => e.type.endsWith('.cancelled')).length, 1);
    // Cancelling again on either instance returns it unchanged.
    assert.equal((await clientA.responses.cancel(created.id)).status, 'cancelled');
  });

  it('deletes on B a response running on A: A stops it first, and neither instance has it afterwards', async () => {
    fake.script({ tokenCount: 50, pauseAfter: 2 });
    const created = await clientA.responses.create({ model: 'fake-a', input: 'doomed', background: true });
    const request = await waitFor('the upstream call to be paused', () => fake.requests.find((r) => r.paused));
    const res = await fetch(`${b.url}/v1/responses/${created.id}`, { method: 'DELETE', headers: b.auth });
    assert.deepEqual(await res.json(), { id: created.id, object: 'response', deleted: true });
    await waitFor('the upstream request to be aborted', () => request.aborted, 30_000);
    for (const client of [clientA, clientB]) {
      await waitFor('the response to be gone', async () => {
        const found = await fetch(`${client.baseURL}/responses/${created.id}`, { headers: a.auth });
        return found.status === 404;
      });
    }
    const left = await queryTestDatabase<{ id: string }>(`SELECT id FROM ${schema}.relay_rows WHERE starts_with(id, $1)`, [
      created.id,
    ]);
    assert.deepEqual(left, [], 'no stream events are left behind (the holder had finished writing)');
  });

  it('creates one response for an Idempotency-Key sent to both instances at once', async () => {
    const body = { model: 'fake-a', input: 'once only', background: true };
    const sentBefore = fake.requests.length;
    const key = { headers: { 'Idempotency-Key': 'same-key-both-instances' } };
    const [fromA, fromB] = await Promise.all([clientA.responses.create(body, key), clientB.responses.create(body, key)]);
    assert.equal(fromA.id, fromB.id);
    await waitFor('the response to complete', async () => (await clientB.responses.retrieve(fromA.id)).status === 'completed');
    assert.equal(fake.requests.length - sentBefore, 1, 'the upstream was called once');
    await assert.rejects(
      clientA.responses.create({ ...body, input: 'another body' }, key),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 409,
    );
  });

  it('adds up usage recorded on both instances without losing counts', async () => {
    const before = await usage(a);
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? clientA : clientB).responses.create({ model: 'fake-usage', input: `n ${i}`, background: true }),
      ),
    );
    for (const { id } of ids) {
      await waitFor(`${id} to complete`, async () => (await clientA.responses.retrieve(id)).status === 'completed');
    }
    for (const relay of [a, b]) {
      await waitFor('six more responses in the usage of every instance', async () => {
        const now = await usage(relay);
        return now.responses - before.responses === 6 && now.completed - before.completed === 6;
      });
    }
    const now = await usage(b);
    assert.equal(now.output_tokens - before.output_tokens, 6 * 5, 'five tokens each from the fake upstream');
  });

  it('signs webhook_url deliveries from either instance with the one secret generated for the store', async (t) => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      receiver.closeAllConnections();
      receiver.close();
    });
    const webhook_url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const ids = [];
    for (const client of [clientA, clientB]) {
      // @ts-expect-error hookrelay extension field
      ids.push((await client.responses.create({ model: 'fake-a', input: 'w', background: true, webhook_url })).id);
    }
    await waitFor('a delivery from each instance', () => received.length === 2);
    const [row] = await queryTestDatabase<{ secret: string }>(
      `SELECT row->>'secret' AS secret FROM ${schema}.relay_rows WHERE table_name = 'ai-settings'`,
    );
    assert.match(row?.secret ?? '', /^whsec_/);
    const verified = received.map((d) => {
      const event = new Webhook(row?.secret ?? '').verify(d.body, d.headers as Record<string, string>) as {
        data: { id: string };
      };
      return event.data.id;
    });
    assert.deepEqual(verified.sort(), ids.sort());
  });

  async function usage(relay: TestRelay) {
    const res = await fetch(`${relay.url}/v1/usage`, { headers: relay.auth });
    const rows = ((await res.json()) as { data: Array<Record<string, number | string>> }).data;
    const mine = rows.filter((r) => r.model === 'fake-usage');
    assert.ok(mine.length <= 1, 'one row per model and day, whichever instances recorded it');
    return { responses: 0, completed: 0, output_tokens: 0, ...(mine[0] as Record<string, number>) };
  }
});

describe('AI responses of a relay instance killed with SIGKILL', { skip: skipWithoutPostgres, timeout: 60_000 }, () => {
  const pair = survivorAndChild('hookrelay-pg-ai-');

  it('finishes on the surviving instance: the streaming one fails as interrupted, the queued one completes', async () => {
    const fake = pair.fake;
    const survivor = await pair.startSurvivor({ ai: aiSection(fake) });
    const child = await pair.spawnChild(`ai:
  concurrency: 1
  backoffMs: 1
  upstreams:
    - { name: fake, baseURL: "${fake.baseURL}", models: ["fake-*"] }
`);
    fake.script({ tokenCount: 6, pauseAfter: 2 });
    const onChild = sdk(child.url);
    const streaming = await onChild.responses.create({ model: 'fake-k', input: 'a', background: true });
    const queued = await onChild.responses.create({ model: 'fake-k', input: 'b', background: true });
    await waitFor('the first response to stream two tokens', async () => {
      return (await onChild.responses.retrieve(streaming.id)).output_text === 't0 t1 ';
    });
    // A reader on the survivor, tailing the stream of the response the child runs.
    const tail = collect(await sdk(survivor.url).responses.retrieve(streaming.id, { stream: true }));
    assert.equal((await onChild.responses.retrieve(queued.id)).status, 'queued');
    await pair.killChild();

    const client = sdk(survivor.url);
    const failed = await waitFor('the streaming response to fail on the survivor', async () => {
      const r = await client.responses.retrieve(streaming.id);
      return r.status === 'failed' ? r : undefined;
    });
    assert.equal((failed.error as { hookrelay_code?: string } | null)?.hookrelay_code, 'interrupted');
    assert.equal(failed.output_text, 't0 t1 ');
    const done = await waitFor('the queued response to complete on the survivor', async () => {
      const r = await client.responses.retrieve(queued.id);
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.output_text, 't0 t1 t2 t3 t4 ');
    const tailed = await tail;
    assert.equal(tailed.at(-1)?.type, 'response.failed', "the survivor's reader saw the stream end");
    assert.deepEqual(
      tailed.map((e) => e.sequence_number),
      Array.from({ length: tailed.length }, (_, i) => i),
    );
  });
});

describe('AI responses of a relay instance that stops cleanly', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let fake: FakeOpenAI;
  let a: TestRelay;
  let b: TestRelay;
  after(async () => {
    fake.release();
    await Promise.all([a?.stop(), b?.stop()]);
    await fake.close();
    await dropSchemas([schema]);
  });

  it('are handed on to another instance at once, not after the lease', async () => {
    fake = await startFakeOpenAI();
    // A lease far longer than the test's waits: only the hand-on at stop can explain a takeover.
    const options = {
      driver: 'postgres' as const,
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: 600 },
      sections: { ai: aiSection(fake) },
    };
    [a, b] = await Promise.all([startRelay(options), startRelay(options)]);
    fake.script({ tokenCount: 6, pauseAfter: 2 });
    const clientA = sdk(a.url);
    const streaming = await clientA.responses.create({ model: 'fake-s', input: 'a', background: true });
    const queued = await clientA.responses.create({ model: 'fake-s', input: 'b', background: true });
    await waitFor(
      'two tokens streamed on A',
      async () => (await clientA.responses.retrieve(streaming.id)).output_text === 't0 t1 ',
    );
    await a.stop();

    const clientB = sdk(b.url);
    const done = await waitFor('the queued response to complete on B', async () => {
      const r = await clientB.responses.retrieve(queued.id);
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.output_text, 't0 t1 t2 t3 t4 ');
    const failed = await clientB.responses.retrieve(streaming.id);
    assert.equal(failed.status, 'failed');
    assert.equal((failed.error as { hookrelay_code?: string } | null)?.hookrelay_code, 'interrupted');
  });
});
