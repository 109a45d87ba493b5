import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/workflows/', import.meta.url));
const SECRET = 'github-secret';

function githubPush(body: string, delivery: string) {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  };
}

const push = (ref: string) => ({
  ref,
  compare: 'https://github.com/acme/site/compare/a...b',
  pusher: { name: 'ada' },
  repository: { full_name: 'acme/site' },
  commits: [{ id: 'c1' }, { id: 'c2' }],
});

describe('example forward-and-notify: signed GitHub push in, transformed request out', () => {
  let relay: TestRelay;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    process.env.NOTIFY_URL = `${receiver.url}/notify`;
    relay = await startRelay({
      sources: [{ name: 'github', verify: { scheme: 'github', secrets: [SECRET] } }],
      sections: { workflows: { dir: EXAMPLES, env: ['NOTIFY_URL', 'JOBS_URL'], watch: false } },
    });
  });
  after(async () => {
    await relay.stop();
    await receiver.close();
  });

  it('posts the transformed push to the receiver and records a succeeded run', async () => {
    const body = JSON.stringify(push('refs/heads/main'));
    const res = await fetch(`${relay.url}/hooks/github`, { method: 'POST', headers: githubPush(body, 'd-main'), body });
    assert.equal(res.status, 200);
    const { id: eventId } = (await res.json()) as { id: string };
    await waitFor('the receiver to be called', () => receiver.received.length === 1);
    assert.deepEqual(receiver.received[0].json, {
      text: 'ada pushed 2 commit(s) to acme/site',
      repository: 'acme/site',
      commits: ['c1', 'c2'],
      event: eventId,
    });
    const runs = await waitFor('a succeeded run', async () => {
      const list = await api<{ data: Array<{ status: string; trigger_event_id: string; id: string }> }>(
        relay.url,
        '/v1/workflows/forward-and-notify/runs',
        { auth: relay.auth },
      );
      return list.body.data[0]?.status === 'succeeded' ? list.body.data : null;
    });
    assert.equal(runs[0].trigger_event_id, eventId);
    const detail = await api<{ steps: Array<{ id: string; status: string; attempts: number; output: unknown }> }>(
      relay.url,
      `/v1/runs/${runs[0].id}`,
      { auth: relay.auth },
    );
    assert.deepEqual(
      detail.body.steps.map((s) => [s.id, s.status, s.attempts]),
      [
        ['main_only', 'succeeded', 1],
        ['shape', 'succeeded', 1],
        ['notify', 'succeeded', 1],
      ],
    );
  });

  it('ends a push to another branch as filtered without calling the receiver', async () => {
    const before = receiver.received.length;
    const body = JSON.stringify(push('refs/heads/feature'));
    const res = await fetch(`${relay.url}/hooks/github`, { method: 'POST', headers: githubPush(body, 'd-feature'), body });
    const { id: eventId } = (await res.json()) as { id: string };
    const run = await waitFor('a filtered run', async () => {
      const list = await api<{ data: Array<{ status: string; trigger_event_id: string }> }>(
        relay.url,
        '/v1/workflows/forward-and-notify/runs?status=filtered',
        { auth: relay.auth },
      );
      return list.body.data.find((r) => r.trigger_event_id === eventId);
    });
    assert.equal(run.status, 'filtered');
    assert.equal(receiver.received.length, before);
  });
});
