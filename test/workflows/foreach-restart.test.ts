import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { childWorkflowRelay } from './child-workflow-relay.ts';
import { api } from './helpers.ts';

const SECRET = 'whsec_Zm9yZWFjaC1yZXN0YXJ0LXNlY3JldC10ZXN0';
const AUTH = { authorization: 'Bearer test-admin-token' };

const WORKFLOW = `
name: loop
on: { source: in, type: go }
steps:
  - id: each
    uses: http.request
    foreach: "{{ [0, 1, 2, 3, 4, 5] }}"
    concurrency: 2
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/item/{{ item }}", json: { index: "{{ index }}" } }
`;

type Run = {
  id: string;
  status: string;
  steps: Array<{ id: string; output: unknown; items?: Array<{ status: string; attempts: number }> }>;
};

describe('foreach survives kill -9: only unfinished items run again', () => {
  // Items 3 and up hang until the relay has been killed once.
  let hang = true;
  const child = childWorkflowRelay({
    tmpPrefix: 'hookrelay-wf-foreach-',
    files: { 'loop.yaml': WORKFLOW },
    secret: SECRET,
    respond: (req) => (hang && Number(req.url.split('/').at(-1)) >= 3 ? null : { body: { item: req.url } }),
  });
  const hits = (n: number) => child.received.filter((r) => r.url === `/item/${n}`).length;

  it('resumes the loop after the crash without repeating finished items', async () => {
    await child.start();
    await child.send('go', 'k');
    // Items 3 and 4 were taken by both workers, each after saving the run with its previous item done.
    await waitFor('items 3 and 4 to be in flight', () => hits(3) === 1 && hits(4) === 1);
    await child.kill();
    hang = false;

    await child.start();
    const run = await waitFor('the run to succeed after the restart', async () => {
      const list = await api<{ data: Run[] }>(child.relay.url, '/v1/workflows/loop/runs', { auth: AUTH });
      return list.body.data[0]?.status === 'succeeded' ? list.body.data[0] : null;
    });
    for (const n of [0, 1, 2]) assert.equal(hits(n), 1, `item ${n} ran again`);
    assert.equal(hits(3), 2);
    assert.equal(hits(4), 2);
    assert.equal(hits(5), 1);
    const full = (await api<Run>(child.relay.url, `/v1/runs/${run.id}`, { auth: AUTH })).body;
    assert.deepEqual(
      (full.steps[0].output as Array<{ body: { item: string } }>).map((o) => o.body.item),
      [0, 1, 2, 3, 4, 5].map((n) => `/item/${n}`),
    );
    assert.deepEqual(
      full.steps[0].items?.map((i) => i.status),
      Array(6).fill('succeeded'),
    );
    await child.kill();
  });
});
