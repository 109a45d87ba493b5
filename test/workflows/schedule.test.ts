import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileWorkflow } from '../../server/workflows/compile.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

const EVERY_MS = 2000;
const WORKFLOW = `
name: tick
on: { schedule: { every: 2s } }
steps:
  - id: ping
    uses: http.request
    with: { method: POST, url: "{{ env.SERVICE_URL }}/tick", json: { at: "{{ run.scheduled_at }}", run: "{{ run.id }}" } }
`;

describe('on.schedule: runs at each tick, once, and once for ticks missed while down', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dataDir = '';
  let dir = '';
  let relay: TestRelay | undefined;
  const ticks = () => receiver.received.filter((r) => r.url === '/tick').map((r) => Date.parse((r.json as { at: string }).at));
  const start = async () => {
    relay = await startRelay({ dataDir, sections: { workflows: { dir, env: ['SERVICE_URL'], watch: false } } });
  };

  before(async () => {
    receiver = await startReceiver();
    process.env.SERVICE_URL = receiver.url;
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-wf-schedule-'));
    dir = await workflowDir({ 'tick.yaml': WORKFLOW });
  });
  after(async () => {
    await relay?.stop();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('makes one run per tick with run.scheduled_at, and after downtime runs the latest missed tick once', async () => {
    await start();
    await waitFor('two ticks', () => ticks().length >= 2, 15_000);
    await relay?.stop();
    const before = ticks();
    const lastBefore = Math.max(...before);
    // Down for three ticks at least.
    await waitFor('three ticks to pass while the relay is down', () => Date.now() >= lastBefore + 4 * EVERY_MS, 15_000, 50);
    const restartAt = Date.now();
    await start();
    const latestMissed = Math.floor(restartAt / EVERY_MS) * EVERY_MS;
    await waitFor(
      'the missed tick and one more',
      () => ticks().filter((t) => t > latestMissed).length >= 1 && ticks().includes(latestMissed),
      15_000,
    );
    const all = ticks();
    assert.equal(new Set(all).size, all.length, `a tick ran twice: ${all}`);
    for (const t of all) assert.equal(t % EVERY_MS, 0);
    // Consecutive before the stop; after it, only the latest missed tick, not every one.
    for (let i = 1; i < before.length; i++) assert.equal(before[i] - before[i - 1], EVERY_MS);
    const skipped = all.filter((t) => t > lastBefore && t < latestMissed);
    assert.deepEqual(skipped, [], 'older missed ticks ran');
    assert.ok(all.includes(latestMissed), 'the latest missed tick did not run once');
  });
});

describe('on.schedule is checked at load', () => {
  const problems = (on: string) =>
    compileWorkflow('s.yaml', `name: s\non: ${on}\nsteps:\n  - id: a\n    uses: log\n    with: { message: hi }\n`, {
      plugins: () => ({ name: 'log', version: '1', apiVersion: 1, schema: { type: 'object' }, run: async () => null }),
      env: [],
    }).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);

  it('accepts cron with a time zone, every, and both with event triggers', () => {
    assert.deepEqual(problems('{ schedule: { cron: "*/5 * * * *", timezone: Europe/Paris } }'), []);
    assert.deepEqual(problems('{ source: x, schedule: { every: 30s, missed: skip } }'), []);
  });

  it('reports a bad cron, an unknown zone, a too short every, and neither or both', () => {
    assert.deepEqual(problems('{ schedule: { cron: "61 * * * *" } }'), [
      '2:26: bad cron "61 * * * *": Invalid value for minute: 61',
    ]);
    assert.deepEqual(problems('{ schedule: { cron: "* * * * *", timezone: Mars/Base } }'), [
      '2:48: unknown time zone "Mars/Base" (use an IANA name such as Europe/Paris)',
    ]);
    assert.deepEqual(problems('{ schedule: { every: 10ms } }'), [
      '2:26: every must be a duration of at least 1s (such as 30s, 5m or 1h), got "10ms"',
    ]);
    assert.deepEqual(problems('{ schedule: { cron: "* * * * *", every: 1m } }'), ['2:17: a schedule has either cron or every']);
  });
});
