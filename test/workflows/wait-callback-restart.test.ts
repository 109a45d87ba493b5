import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { childWorkflowRelay } from './child-workflow-relay.ts';
import { api } from './helpers.ts';

const SECRET = 'whsec_Y2FsbGJhY2stcmVzdGFydC1zZWNyZXQtdGVzdA';
const AUTH = { authorization: 'Bearer test-admin-token' };

const WORKFLOW = `
name: cb
on: { source: in, type: go }
steps:
  - id: submit
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/submit", json: { webhook_url: "{{ run.callback_url }}" } }
  - id: hold
    uses: wait.event
    with: { source: in, type: release, match: "awaited.payload.key = event.payload.key", lookback: 1m, timeout: 1h }
  - id: done
    uses: wait.callback
    with: { timeout: 1h }
  - id: after
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/after", json: "{{ steps.done.output.body }}" }
`;

type Run = { id: string; status: string; steps: Array<{ id: string; status: string; waiting?: boolean }> };

describe('wait.callback survives kill -9: the callback is stored before it is acknowledged', () => {
  const child = childWorkflowRelay({ tmpPrefix: 'hookrelay-wf-callback-', files: { 'cb.yaml': WORKFLOW }, secret: SECRET });
  const latest = async () => (await api<{ data: Run[] }>(child.relay.url, '/v1/workflows/cb/runs', { auth: AUTH })).body.data[0];
  /** The URL the service was given, on the relay running now (a restarted test relay listens on a new port). */
  const callbackUrl = () => {
    const given = new URL(((child.received.find((r) => r.url === '/submit')?.json ?? {}) as { webhook_url: string }).webhook_url);
    return `${child.relay.url}${given.pathname}`;
  };
  const post = (body: unknown) =>
    fetch(callbackUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('keeps a callback acknowledged just before the crash, and a wait across a crash', async () => {
    await child.start();
    assert.ok(
      child.relay.logs.some((l) => l.level === 40 && /workflows.publicUrl is not set/.test(String(l.msg))),
      'no warning that callback URLs use the listening address',
    );
    await child.send('go', 'a');
    await waitFor(
      'the run to wait on hold',
      async () => (await latest())?.steps.find((s) => s.id === 'hold')?.status === 'waiting',
    );
    // The callback arrives before its wait starts; acknowledged means stored: kill at once.
    assert.equal((await post({ n: 1 })).status, 200);
    await child.kill();

    await child.start();
    assert.equal((await post({ n: 2 })).status, 409, 'the stored callback was lost');
    await child.send('release', 'a');
    const run = await waitFor('the run to succeed', async () => {
      const r = await latest();
      return r?.status === 'succeeded' ? r : null;
    });
    assert.deepEqual(
      child.received.filter((r) => r.url === '/after').map((r) => r.json),
      [{ n: 1 }],
    );
    assert.equal(child.received.filter((r) => r.url === '/submit').length, 1);
    assert.equal((await post({ n: 3 })).status, 410);
    assert.ok(run.id);

    // A second run killed while it waits on the callback resumes the same wait.
    await child.send('go', 'b');
    await child.send('release', 'b');
    await waitFor('the second run to wait for its callback', async () => {
      const r = await latest();
      return r?.status === 'waiting' && r.steps.find((s) => s.id === 'done')?.waiting === true;
    });
    await child.kill();
    await child.start();
    const second = child.received.filter((r) => r.url === '/submit').at(-1)?.json as { webhook_url: string };
    const url = `${child.relay.url}${new URL(second.webhook_url).pathname}`;
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":4}' });
    assert.equal(answer.status, 200);
    await waitFor('the second run to succeed', async () => (await latest())?.status === 'succeeded');
    assert.deepEqual(child.received.filter((r) => r.url === '/after').at(-1)?.json, { n: 4 });
    await child.kill();
  });
});
