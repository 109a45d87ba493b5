import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fillDisk } from '../helpers/disk-full.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

// Issue 14 items 6 and 7: with the disk full, a write the relay refuses leaves nothing behind, and
// /readyz tells a load balancer so until space is free again.
describe('a full disk', () => {
  let relay: TestRelay | undefined;
  let dataDir = '';
  let freeDisk: (() => void) | undefined;
  after(async () => {
    freeDisk?.();
    await relay?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  const start = () => startRelay({ dataDir, sources: [{ name: 'dev', insecure: true, verify: { scheme: 'none' } }] });
  const json = { 'content-type': 'application/json' };

  it('refuses a new endpoint with 503 store_unavailable and keeps no trace of it, even after a restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-full-'));
    relay = await start();
    const { url, auth } = relay;
    freeDisk = await fillDisk();
    const res = await fetch(`${url}/v1/endpoints`, {
      method: 'POST',
      headers: { ...auth, ...json },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/never' }),
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'store_unavailable');
    const listed = (await (await fetch(`${url}/v1/endpoints`, { headers: auth })).json()) as { data: unknown[] };
    assert.deepEqual(listed.data, [], 'the refused endpoint is listed');
    freeDisk();
    await relay.stop();
    relay = await start();
    const relisted = (await (await fetch(`${relay.url}/v1/endpoints`, { headers: relay.auth })).json()) as { data: unknown[] };
    assert.deepEqual(relisted.data, [], 'the refused endpoint came back after a restart');
  });

  it('makes /readyz answer 503 while ingest cannot be stored, and 200 once space is free', async () => {
    assert.ok(relay);
    const { url } = relay;
    freeDisk = await fillDisk();
    const ingest = await fetch(`${url}/hooks/dev`, { method: 'POST', headers: json, body: '{"type":"full"}' });
    assert.equal(ingest.status, 503);
    await ingest.body?.cancel();
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'store_unavailable');
    freeDisk();
    const again = await fetch(`${url}/readyz`);
    assert.deepEqual([again.status, await again.json()], [200, { status: 'ready' }]);
    const stored = await fetch(`${url}/hooks/dev`, { method: 'POST', headers: json, body: '{"type":"free"}' });
    assert.equal(stored.status, 200);
    await stored.body?.cancel();
    const listed = (await (await fetch(`${url}/v1/events`, { headers: relay.auth })).json()) as { data: { type: string }[] };
    assert.deepEqual(
      listed.data.map((e) => e.type),
      ['free'],
      'the refused event was kept',
    );
  });
});
