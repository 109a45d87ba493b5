import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VerifyConfig } from '../../server/config/types.ts';
import { signHeaders } from '../../server/ingest/signers.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

const VERIFY: VerifyConfig = {
  scheme: 'standard-webhooks',
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  toleranceSeconds: 300,
};

/** The value of one sample in Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operations routes', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ sources: [{ name: 'sw', verify: VERIFY }] });
  });
  after(() => relay.stop());

  async function ingest(body: string, headers: Record<string, string>, source = 'sw') {
    const res = await fetch(`${relay.url}/hooks/${source}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    await res.body?.cancel();
    return res.status;
  }
  const signed = (body: string, id: string) => signHeaders({ verify: VERIFY, secret: VERIFY.secrets[0], body, id });

  it('answers /healthz and /readyz without a token', async () => {
    const health = await fetch(`${relay.url}/healthz`);
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
    const ready = await fetch(`${relay.url}/readyz`);
    assert.deepEqual([ready.status, await ready.json()], [200, { status: 'ready' }]);
  });

  it('counts ingest by source and outcome and records ingest and store-write latency in /metrics', async () => {
    assert.equal(await ingest('{"type":"m"}', signed('{"type":"m"}', 'msg_m1')), 200);
    assert.equal(await ingest('{"type":"m"}', signed('{"type":"m"}', 'msg_m1')), 200);
    assert.equal(await ingest('{"type":"n"}', signed('{"type":"m"}', 'msg_m2')), 401);
    assert.equal(await ingest('{}', {}, 'no-such-source'), 404);
    const res = await fetch(`${relay.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.equal(sample(text, 'hookrelay_ingest_total{source="sw",outcome="accepted"}'), 1);
    assert.equal(sample(text, 'hookrelay_ingest_total{source="sw",outcome="duplicate"}'), 1);
    assert.equal(sample(text, 'hookrelay_ingest_total{source="sw",outcome="signature_invalid"}'), 1);
    assert.equal(sample(text, 'hookrelay_ingest_total{source="(unknown)",outcome="source_not_found"}'), 1);
    assert.equal(sample(text, 'hookrelay_ingest_duration_seconds_count{source="sw"}'), 2);
    assert.equal(sample(text, 'hookrelay_ingest_duration_seconds_bucket{le="+Inf",source="sw"}'), 2);
    assert.equal(sample(text, 'hookrelay_store_write_duration_seconds_count'), 2);
    assert.ok((sample(text, 'hookrelay_store_write_duration_seconds_sum') ?? -1) > 0);
    assert.ok(text.includes('hookrelay_process_cpu_seconds_total'), 'default process metrics');
  });

  it('reports not ready and refuses ingest with 503 store_unavailable once the store cannot write', async () => {
    await relay.relay.ctx.storage.events.close();
    const ready = await fetch(`${relay.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'store_unavailable');
    const res = await fetch(`${relay.url}/hooks/sw`, {
      method: 'POST',
      headers: signed('{"type":"late"}', 'msg_late'),
      body: '{"type":"late"}',
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'store_unavailable');
    const health = await fetch(`${relay.url}/healthz`);
    assert.equal(health.status, 200, 'still alive');
  });
});
