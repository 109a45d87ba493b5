import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { startReceiver } from '../workflows/helpers.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import { holderOf } from './workflow-cluster.ts';

describe('a schedule on two relays sharing PostgreSQL makes exactly one run per tick', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir = '';
  let relays: TestRelay[] = [];

  before(async () => {
    receiver = await startReceiver();
    dir = await workflowDir({
      'tick.yaml': `name: tick
on: { schedule: { every: 1s } }
steps:
  - id: ping
    uses: http.request
    with: { method: POST, url: "${receiver.url}/tick", json: { at: "{{ run.scheduled_at }}" } }
`,
    });
    const postgres = { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 };
    const sections = { workflows: { dir, watch: false } };
    relays = await Promise.all([0, 1].map(() => startRelay({ driver: 'postgres', postgres, sections })));
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await receiver?.close();
    await dropSchemas([schema]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ticks = () => receiver.received.filter((r) => r.url === '/tick').map((r) => (r.json as { at: string }).at);

  it('with both running, and after the leading relay stops and the other takes over', async () => {
    await waitFor('four ticks', () => ticks().length >= 4, 20_000);
    const owner = await holderOf(schema, 'role:workflows.trigger');
    const leader = relays.find((r) => r.relay.ctx.cluster.instanceId === owner);
    assert.ok(leader, 'one relay leads');
    await leader.stop();
    const count = ticks().length;
    await waitFor('three more ticks from the other relay', () => ticks().length >= count + 3, 20_000);
    const all = ticks();
    assert.equal(new Set(all).size, all.length, `a tick ran twice: ${all.join(', ')}`);
    for (const at of all) assert.equal(Date.parse(at) % 1000, 0);
    const sorted = [...all].sort();
    assert.deepEqual(all.slice(0, 4), sorted.slice(0, 4), 'ticks ran out of order');
  });
});
