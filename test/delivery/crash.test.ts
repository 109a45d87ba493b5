import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventsApi } from '../../server/events/subsystem.ts';
import { tokensApi } from '../../server/tokens/subsystem.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { startRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './receiver.ts';
import { createEndpoint, deliveries, deliveryRelay, ingest, TEST_SOURCES } from './setup.ts';

const CONFIG = `
sources:
  - name: dev
    insecure: true
    verify: { scheme: none }
delivery:
  concurrency: 2
  sweepIntervalSeconds: 1
`;
const AUTH = { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' };

async function childEndpoint(relay: ChildRelay, url: string): Promise<string> {
  const res = await fetch(`${relay.url}/v1/endpoints`, { method: 'POST', headers: AUTH, body: JSON.stringify({ url }) });
  return ((await res.json()) as { id: string }).id;
}

describe('durability of deliveries across a crash', () => {
  let dataDir: string;
  let receiver: Receiver;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-crash-'));
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('delivers every acknowledged event to every endpoint after kill -9, duplicating only what was in flight', async () => {
    const acked = new Map<string, Set<string>>([
      ['/a', new Set()],
      ['/b', new Set()],
    ]);
    receiver.answer = () => 'hang';
    const first = await spawnRelay({ dataDir, configYaml: CONFIG });
    await childEndpoint(first, `${receiver.url}/a`);
    await childEndpoint(first, `${receiver.url}/b`);
    const eventIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${first.url}/hooks/dev`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 't', i }),
      });
      eventIds.push(((await res.json()) as { id: string }).id);
    }
    // Let part of the work through, then kill the relay while four requests (2 per endpoint) hang.
    await waitFor('the first requests', () => receiver.received.length === 4);
    for (let round = 0; round < 20 && receiver.received.length < 16; round++) {
      const seen = receiver.received.length;
      for (const r of receiver.release()) acked.get(r.path)?.add(String(r.headers['webhook-id']));
      await waitFor('the next requests', () => receiver.received.length > seen);
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeRestart = receiver.received.length;
    receiver.release(500);
    receiver.answer = () => ({ status: 200 });

    const second = await spawnRelay({ dataDir, configYaml: CONFIG });
    try {
      const wanted = eventIds.length * 2;
      await waitFor(
        'every event at both endpoints',
        () => {
          const got = new Set(receiver.received.slice(beforeRestart).map((r) => `${r.path} ${r.headers['webhook-id']}`));
          for (const [path, ids] of acked) for (const id of ids) got.add(`${path} ${id}`);
          return got.size === wanted;
        },
        20_000,
      );
      const again = receiver.received.slice(beforeRestart).filter((r) => acked.get(r.path)?.has(String(r.headers['webhook-id'])));
      // In flight at the kill: per endpoint, 2 requests hanging plus at most 2 answered whose result was
      // still being written (a lane slot is freed on the answer, the row stays in flight until written).
      assert.ok(again.length <= 8, `${again.length} acknowledged deliveries were sent again; at most the 8 in flight may be`);
      const done = [...acked.values()].reduce((n, ids) => n + ids.size, 0);
      assert.ok(done >= 8 && done < wanted, `part of the work (${done} of ${wanted}) was done before the kill`);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('creates deliveries on start for events stored while fan-out never ran', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-fanout-'));
    receiver.answer = () => ({ status: 200 });
    try {
      const first = await deliveryRelay({ dataDir: dir });
      const endpoint = await createEndpoint(first, { url: `${receiver.url}/late` });
      await first.stop();
      // The relay without its delivery part stores events that nothing fans out: what a crash
      // between the durable write and the creation of deliveries leaves behind.
      const bare = await startRelay({ dataDir: dir, sources: TEST_SOURCES, subsystems: [tokensApi, eventsApi] });
      const ids = [await ingest(bare, { type: 'x' }), await ingest(bare, { type: 'y' })];
      await bare.stop();
      const third = await deliveryRelay({ dataDir: dir });
      try {
        await waitFor(
          'both deliveries',
          async () => (await deliveries(third, endpoint.id)).filter((d) => d.status === 'succeeded').length === 2,
        );
        const got = receiver.received.filter((r) => r.path === '/late').map((r) => r.headers['webhook-id']);
        assert.deepEqual(got.sort(), ids.sort());
      } finally {
        await third.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
