import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/workflows/', import.meta.url));

type Run = { id: string; status: string; steps: Array<{ id: string; output?: unknown }> };

describe('examples thumbnails, enrich-lead (+ lead-score) and nightly-report', () => {
  let relay: TestRelay;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver((req) => {
      if (req.url === '/thumbnail')
        return (req.json as { image: string }).image === 'broken.png' ? { status: 500 } : { body: { ok: true } };
      if (req.url.startsWith('/company')) return { body: { employees: 250 } };
      if (req.url.startsWith('/person')) return { body: { title: 'CTO' } };
      return {};
    });
    process.env.RECEIVER_URL = receiver.url;
    process.env.JOBS_TOKEN = 'jobs-token-for-examples';
    relay = await startRelay({
      sections: {
        workflows: {
          dir: EXAMPLES,
          env: ['RECEIVER_URL', 'JOBS_URL', 'NOTIFY_URL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'],
          secrets: ['JOBS_TOKEN'],
          watch: false,
        },
      },
    });
  });
  after(async () => {
    await relay.stop();
    await receiver.close();
  });

  async function run(workflow: string, payload: unknown): Promise<Run> {
    const started = await api<Run>(relay.url, `/v1/workflows/${workflow}/runs`, {
      method: 'POST',
      auth: relay.auth,
      body: { event: { payload } },
    });
    assert.equal(started.status, 201);
    return waitFor(`${workflow} to finish`, async () => {
      const r = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: relay.auth })).body;
      return ['succeeded', 'failed'].includes(r.status) ? r : null;
    });
  }

  it('every example file loads with the example config', async () => {
    const list = await api<{ data: Array<{ file: string; valid: boolean; errors: string[] }> }>(relay.url, '/v1/workflows', {
      auth: relay.auth,
    });
    assert.deepEqual(
      list.body.data.filter((f) => !f.valid).map((f) => f.errors),
      [],
    );
  });

  it('thumbnails: one request per image; the broken one is null and the run goes on', async () => {
    const done = await run('thumbnails', { album: 'trip', images: ['a.png', 'broken.png', 'c.png'] });
    assert.equal(done.status, 'succeeded');
    assert.equal(receiver.received.filter((r) => r.url === '/thumbnail').length, 2 + 3);
    assert.deepEqual(receiver.received.find((r) => r.url === '/album')?.json, { album: 'trip', made: 2 });
  });

  it('enrich-lead: parallel lookups, then lead-score through workflow.call', async () => {
    const done = await run('enrich-lead', { email: 'ada@example.com', domain: 'example.com' });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.steps.find((s) => s.id === 'score')?.output, { score: 70, tier: 'A' });
    assert.deepEqual(receiver.received.find((r) => r.url === '/leads')?.json, { email: 'ada@example.com', score: 70, tier: 'A' });
  });

  it('nightly-report: its schedule is shown in the API', async () => {
    const res = await api<{ schedule: unknown; on: unknown }>(relay.url, '/v1/workflows/nightly-report', { auth: relay.auth });
    assert.deepEqual(res.body.schedule, { cron: '30 7 * * *', timezone: 'Europe/Paris', every: null, missed: 'once' });
    assert.equal(res.body.on, null);
  });
});
