import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { childWorkflowRelay } from './child-workflow-relay.ts';
import { api } from './helpers.ts';

const SECRET = 'whsec_cGFyYWxsZWwtcmVzdGFydC1zZWNyZXQtdGVzdA';
const AUTH = { authorization: 'Bearer test-admin-token' };

const WORKFLOW = `
name: branches
on: { source: in, type: go }
steps:
  - id: both
    parallel:
      - id: fast
        uses: http.request
        with: { method: POST, url: "{{ env.RECEIVER_URL }}/fast" }
      - id: slow
        uses: http.request
        with: { method: POST, url: "{{ env.RECEIVER_URL }}/slow" }
  - id: after
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/after", json: { fast: "{{ steps.fast.status }}", slow: "{{ steps.slow.status }}" } }
`;

type Run = { id: string; status: string; steps: Array<{ id: string; status: string; group?: string }> };

describe('a parallel group survives kill -9: a finished branch is not run again', () => {
  let hang = true;
  const child = childWorkflowRelay({
    tmpPrefix: 'hookrelay-wf-parallel-',
    files: { 'branches.yaml': WORKFLOW },
    secret: SECRET,
    respond: (req) => (hang && req.url === '/slow' ? null : {}),
  });
  const hits = (url: string) => child.received.filter((r) => r.url === url).length;

  it('runs only the unfinished branch after the restart, then the next step', async () => {
    await child.start();
    await child.send('go', 'k');
    // Stored, not only shown: the fast branch's record as written to the runs table.
    await waitFor('the fast branch to be stored as succeeded', async () => {
      const text = await readFile(join(child.dataDir, 'tables', 'workflow_runs.jsonl'), 'utf8').catch(() => '');
      return hits('/slow') === 1 && text.includes('"id":"fast","uses":"http.request","status":"succeeded"');
    });
    await child.kill();
    hang = false;

    await child.start();
    const run = await waitFor('the run to succeed', async () => {
      const list = await api<{ data: Run[] }>(child.relay.url, '/v1/workflows/branches/runs', { auth: AUTH });
      return list.body.data[0]?.status === 'succeeded' ? list.body.data[0] : null;
    });
    assert.equal(hits('/fast'), 1, 'the finished branch ran again');
    assert.equal(hits('/slow'), 2);
    assert.deepEqual(
      child.received.filter((r) => r.url === '/after').map((r) => r.json),
      [{ fast: 'succeeded', slow: 'succeeded' }],
    );
    assert.deepEqual(
      run.steps.map((s) => [s.id, s.group ?? null]),
      [
        ['fast', 'both'],
        ['slow', 'both'],
        ['after', null],
      ],
    );
    await child.kill();
  });
});
