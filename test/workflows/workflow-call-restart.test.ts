import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { childWorkflowRelay } from './child-workflow-relay.ts';
import { api } from './helpers.ts';

const SECRET = 'whsec_d29ya2Zsb3ctY2FsbC1yZXN0YXJ0LXNlY3JldA';
const AUTH = { authorization: 'Bearer test-admin-token' };

const PARENT = `
name: parent
on: { source: in, type: go }
steps:
  - id: call
    uses: workflow.call
    with: { workflow: child, input: { key: "{{ event.payload.key }}" } }
  - id: after
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/after", json: "{{ steps.call.output }}" }
`;
const CHILD = `
name: child
output: "{{ { 'key': input.key, 'released_by': steps.hold.output.id } }}"
steps:
  - id: first
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/child", json: "{{ input }}" }
  - id: hold
    uses: wait.event
    with: { source: in, type: release, timeout: 1h }
`;

type Run = {
  id: string;
  status: string;
  parent?: { run: string } | null;
  steps: Array<{ id: string; status: string; child_run?: string }>;
};

describe('workflow.call survives kill -9 of the relay while the child runs', () => {
  const child = childWorkflowRelay({
    tmpPrefix: 'hookrelay-wf-call-',
    files: { 'parent.yaml': PARENT, 'child.yaml': CHILD },
    secret: SECRET,
  });
  const runs = async (workflow: string) =>
    (await api<{ data: Run[] }>(child.relay.url, `/v1/workflows/${workflow}/runs`, { auth: AUTH })).body.data;

  it('waits for the same child after the restart, which continues from its running step', async () => {
    await child.start();
    await child.send('go', 'k1');
    const waiting = await waitFor('the child to wait', async () => {
      const [kid] = await runs('child');
      return kid?.status === 'waiting' ? kid : null;
    });
    await child.kill();

    await child.start();
    await waitFor('the child to wait again', async () => (await runs('child'))[0]?.status === 'waiting');
    const releaseId = await child.send('release', 'k1');
    const parent = await waitFor('the parent to succeed', async () => {
      const [run] = await runs('parent');
      return run?.status === 'succeeded' ? run : null;
    });
    const kids = await runs('child');
    assert.equal(kids.length, 1, 'the child was started twice');
    assert.equal(kids[0].id, waiting.id);
    assert.equal(parent.steps.find((s) => s.id === 'call')?.child_run, waiting.id);
    assert.equal(child.received.filter((r) => r.url === '/child').length, 1);
    assert.deepEqual(
      child.received.filter((r) => r.url === '/after').map((r) => r.json),
      [{ key: 'k1', released_by: releaseId }],
    );
    await child.kill();
  });
});
