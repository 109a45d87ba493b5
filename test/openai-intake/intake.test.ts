import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../server/config/load.ts';
import type { RelayConfig, SourceConfig } from '../../server/config/types.ts';
import { createRelay } from '../../server/main.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { type ObjectRoutes, serveObjects } from '../helpers/fake-openai-extras.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { OPENAI_GOLDEN } from '../helpers/openai-golden.ts';

const GOLDEN = OPENAI_GOLDEN;
const SECRET = `whsec_${Buffer.from('intake-test-secret-0123456789abcd').toString('base64')}`;
// The recorded delivery is from 2025: a wide tolerance lets it pass whatever the clock says.
const TEN_YEARS = 10 * 365 * 24 * 3600;

// biome-ignore lint/suspicious/noExplicitAny: the tests read untyped JSON answers field by field
type Json = Record<string, any>;

function openaiDelivery(type: string, objectId: string) {
  const id = `wh_${Math.random().toString(36).slice(2)}`;
  const body = JSON.stringify({
    id: `evt_${id}`,
    object: 'event',
    created_at: Math.floor(Date.now() / 1000),
    type,
    data: { id: objectId },
  });
  const signature = new Webhook(SECRET).sign(id, new Date(), body);
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': signature,
  };
  return { body, headers };
}

describe('OpenAI webhook intake', () => {
  let relay: TestRelay;
  let upstream: FakeOpenAI;
  let served: ObjectRoutes;
  const get = async (path: string) => (await (await fetch(`${relay.url}${path}`, { headers: relay.auth })).json()) as Json;
  const post = (source: string, d: { body: string; headers: Record<string, string> }) =>
    fetch(`${relay.url}/hooks/${source}`, { method: 'POST', headers: d.headers, body: d.body });

  before(async () => {
    upstream = await startFakeOpenAI();
    served = serveObjects(upstream);
    relay = await startRelay({
      sources: [
        { name: 'golden', verify: { scheme: 'openai', secrets: [GOLDEN.secret], toleranceSeconds: TEN_YEARS } },
        { name: 'openai', verify: { scheme: 'openai', secrets: [SECRET] }, enrich: { upstream: 'fake', maxRetries: 3 } },
      ],
      sections: { ai: { upstreams: [{ name: 'fake', baseURL: upstream.baseURL, apiKey: 'sk-test', models: ['*'] }] } },
    });
  });
  after(async () => {
    await relay.stop();
    await upstream.close();
  });

  it('verifies the recorded OpenAI delivery exactly as sent and keeps its bytes', async () => {
    const res = await fetch(`${relay.url}/hooks/golden`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...GOLDEN.headers },
      body: GOLDEN.body,
    });
    assert.equal(res.status, 200);
    const { id } = (await res.json()) as Json;
    const event = await get(`/v1/events/${id}`);
    assert.equal(event.type, 'response.completed');
    assert.equal(event.provider_id, GOLDEN.headers['webhook-id']);
    assert.deepEqual(event.verified, { scheme: 'openai' });
    assert.equal(event.enrichment, undefined, 'a source without enrich gets no enrichment');
    const raw = await fetch(`${relay.url}/v1/events/${id}/raw`, { headers: relay.auth });
    assert.equal(await raw.text(), GOLDEN.body);
  });

  it('refuses the recorded delivery once one byte of whitespace is changed', async () => {
    const body = GOLDEN.body.replace('"object": "event"', '"object":"event"');
    const res = await fetch(`${relay.url}/hooks/golden`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...GOLDEN.headers },
      body,
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as Json).error.code, 'signature_invalid');
  });

  it('answers 200 before the enrichment fetch finishes, then attaches the response object', async () => {
    const object = {
      id: 'resp_enrich_1',
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi', annotations: [] }] }],
    };
    served.objects.set('resp_enrich_1', object);
    served.hold();
    const res = await post('openai', openaiDelivery('response.completed', 'resp_enrich_1'));
    assert.equal(res.status, 200, 'the 200 does not wait for the upstream, which is held');
    const { id } = (await res.json()) as Json;
    await waitFor('the enrichment fetch to reach the upstream', () => served.parked === 1);
    assert.equal((await get(`/v1/events/${id}`)).enrichment.status, 'pending');
    served.release();
    const enriched = await waitFor('enrichment', async () => {
      const e = (await get(`/v1/events/${id}`)).enrichment;
      assert.notEqual(e?.status, 'failed', JSON.stringify(e?.error));
      return e?.status === 'completed' ? e : null;
    });
    assert.deepEqual(enriched.object, object, 'kept as the upstream sent it');
    assert.equal(enriched.object_kind, 'response');
    const follow = await waitFor(
      'the .enriched event',
      async () => (await get('/v1/events?source=openai&type=response.completed.enriched')).data[0],
    );
    assert.equal(follow.payload.event_id, id);
    assert.equal(follow.payload.object.id, 'resp_enrich_1');
    assert.ok(upstream.requests.some((r) => r.method === 'GET' && r.path === '/v1/responses/resp_enrich_1'));
  });

  it('fetches a batch through the named upstream, retrying server errors', async () => {
    served.objects.set('batch_abc', { id: 'batch_abc', object: 'batch', status: 'completed', output_file_id: 'file_1' });
    served.failures.set('/v1/batches/batch_abc', 2);
    const res = await post('openai', openaiDelivery('batch.completed', 'batch_abc'));
    const { id } = (await res.json()) as Json;
    const enriched = await waitFor('batch enrichment', async () => {
      const e = (await get(`/v1/events/${id}`)).enrichment;
      assert.notEqual(e?.status, 'failed', JSON.stringify(e?.error));
      return e?.status === 'completed' ? e : null;
    });
    assert.equal(enriched.object.output_file_id, 'file_1');
    assert.equal(upstream.requests.filter((r) => r.path === '/v1/batches/batch_abc').length, 3);
  });

  it('records a failed enrichment when the object does not exist, and says so in an event', async () => {
    const res = await post('openai', openaiDelivery('response.failed', 'resp_missing'));
    const { id } = (await res.json()) as Json;
    const failed = await waitFor('failed enrichment', async () => {
      const e = (await get(`/v1/events/${id}`)).enrichment;
      return e?.status === 'failed' ? e : null;
    });
    assert.equal(failed.error.status, 404);
    const note = await waitFor(
      'the .enrichment_failed event',
      async () => (await get('/v1/events?type=response.failed.enrichment_failed')).data[0],
    );
    assert.equal(note.payload.event_id, id);
  });
});

describe('enrich configuration', () => {
  it('refuses enrich on a source whose scheme is not openai, naming the key path', async () => {
    const config = loadConfigWith({
      name: 'gh',
      verify: { scheme: 'github', secrets: ['x'] },
      enrich: { baseURL: 'http://127.0.0.1:1/v1' },
    });
    await assert.rejects(createRelay({ config, adminToken: 't' }), /sources\[0\]\.enrich: enrich fetches OpenAI objects/);
  });

  it('refuses an upstream name that ai.upstreams does not have', async () => {
    const config = loadConfigWith({ name: 'oa', verify: { scheme: 'openai', secrets: [SECRET] }, enrich: { upstream: 'nope' } });
    await assert.rejects(
      createRelay({ config, adminToken: 't' }),
      /sources\[0\]\.enrich\.upstream: no ai.upstreams entry named "nope"/,
    );
  });
});

type SourceInput = Omit<SourceConfig, 'insecure' | 'verify'> & { verify: Omit<SourceConfig['verify'], 'toleranceSeconds'> };

function loadConfigWith(source: SourceInput): RelayConfig {
  const config = loadConfig({ env: {}, cwd: '/' });
  const sources = [{ insecure: false, ...source, verify: { toleranceSeconds: 300, ...source.verify } }];
  return { ...config, store: { ...config.store, driver: 'memory' }, sources };
}

describe('enrichment across a restart', () => {
  it('resumes an enrichment that was still pending when the relay stopped', async () => {
    const upstream = await startFakeOpenAI();
    const served = serveObjects(upstream);
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-enrich-'));
    const options = {
      dataDir,
      sources: [
        {
          name: 'openai',
          verify: { scheme: 'openai' as const, secrets: [SECRET] },
          enrich: { baseURL: upstream.baseURL, apiKey: 'k' },
        },
      ],
    };
    try {
      served.objects.set('batch_later', { id: 'batch_later', object: 'batch', status: 'completed' });
      served.hold();
      const first = await startRelay(options);
      const d = openaiDelivery('batch.completed', 'batch_later');
      const res = await fetch(`${first.url}/hooks/openai`, { method: 'POST', headers: d.headers, body: d.body });
      const { id } = (await res.json()) as Json;
      await waitFor('the fetch to be parked', () => served.parked === 1);
      await first.stop();
      served.release();
      const second = await startRelay(options);
      try {
        const enrichment = await waitFor('the resumed enrichment', async () => {
          const event = (await (await fetch(`${second.url}/v1/events/${id}`, { headers: second.auth })).json()) as Json;
          return event.enrichment?.status === 'completed' ? event.enrichment : null;
        });
        assert.equal(enrichment.object.id, 'batch_later');
      } finally {
        await second.stop();
      }
    } finally {
      await upstream.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
