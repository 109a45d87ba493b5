import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { childWorkflowRelay } from './child-workflow-relay.ts';
import { api } from './helpers.ts';

const SECRET = 'whsec_cmVzdGFydC1zZWNyZXQtZm9yLXRlc3Rz';
const AUTH = { authorization: 'Bearer test-admin-token' };

const WORKFLOW = `
name: durable
on: { source: in, type: go }
steps:
  - id: first
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/first", json: { key: "{{ event.payload.key }}" } }
  - id: pause
    uses: delay
    with: { for: 2s }
  - id: gate
    uses: wait.event
    with:
      source: in
      type: release
      match: "awaited.payload.key = event.payload.key"
      timeout: 1h
  - id: last
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/last", json: { released_by: "{{ steps.gate.output.id }}" } }
`;

type Run = { id: string; status: string; steps: Array<{ id: string; status: string; attempts: number }> };

describe('runs survive kill -9 of the relay mid-delay and mid-wait', () => {
  const child = childWorkflowRelay({ tmpPrefix: 'hookrelay-wf-restart-', files: { 'durable.yaml': WORKFLOW }, secret: SECRET });
  const { send } = child;

  async function runWhen(what: string, check: (run: Run) => boolean): Promise<Run> {
    return waitFor(what, async () => {
      const list = await api<{ data: Run[] }>(child.relay.url, '/v1/workflows/durable/runs', { auth: AUTH });
      const run = list.body.data[0];
      return run && check(run) ? run : null;
    });
  }
  const step = (run: Run, id: string) => run.steps.find((s) => s.id === id);

  it('continues from the running step after each crash and never repeats a finished one', async () => {
    await child.start();
    await send('go', 'k1');
    await runWhen('the delay to start', (run) => step(run, 'pause')?.status === 'waiting');
    await child.kill();

    await child.start();
    const waiting = await runWhen('the wait after the resumed delay', (run) => step(run, 'gate')?.status === 'waiting');
    assert.equal(step(waiting, 'first')?.status, 'succeeded');
    assert.equal(step(waiting, 'pause')?.status, 'succeeded');
    await child.kill();

    await child.start();
    await runWhen('the wait to be resumed', (run) => run.status === 'waiting' && step(run, 'gate')?.status === 'waiting');
    await send('release', 'other');
    const releaseId = await send('release', 'k1');
    const done = await runWhen('the run to succeed', (run) => run.status === 'succeeded');
    assert.equal(child.received.filter((r) => r.url === '/first').length, 1, 'a finished step ran again');
    const last = child.received.filter((r) => r.url === '/last');
    assert.equal(last.length, 1);
    assert.deepEqual(last[0].json, { released_by: releaseId });
    assert.equal(step(done, 'first')?.attempts, 1);
    await child.kill();
  });
});
