import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '../../../plugins/testing.ts';
import { startRelay, type TestRelay } from '../../../test/helpers/relay.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { workflowDir } from '../../../test/workflows/workflow-dir.ts';
import plugin from './index.ts';

const FOLDER = fileURLToPath(new URL('.', import.meta.url));
const expected = (payload: string) => `sha256=${createHmac('sha256', 'shh').update(payload).digest('hex')}`;

describe('example plugin crypto.hmac', () => {
  it('signs strings as they are and other values as JSON', async () => {
    assert.deepEqual(await plugin.run(createTestContext(), { data: 'abc', secret: 'shh' }), {
      payload: 'abc',
      signature: expected('abc'),
    });
    const out = (await plugin.run(createTestContext(), { data: { a: 1 }, secret: 'shh' })) as { signature: string };
    assert.equal(out.signature, expected('{"a":1}'));
  });

  describe('loaded into a relay from its folder', () => {
    let relay: TestRelay;
    before(async () => {
      const dir = await workflowDir({
        'sign.yaml': `name: sign
steps:
  - id: sign
    uses: crypto.hmac
    with: { data: "{{ event.payload }}", secret: shh }
`,
      });
      relay = await startRelay({ sections: { workflows: { dir, plugins: [FOLDER], watch: false } } });
    });
    after(() => relay.stop());

    it('runs as a step of a workflow and is listed with its version', async () => {
      const list = (await (await fetch(`${relay.url}/v1/workflows`, { headers: relay.auth })).json()) as {
        plugins: Array<{ name: string; version: string }>;
        data: Array<{ valid: boolean }>;
      };
      assert.ok(list.plugins.some((p) => p.name === 'crypto.hmac' && p.version === '1.0.0'));
      assert.equal(list.data[0].valid, true);
      const res = await fetch(`${relay.url}/v1/workflows/sign/runs`, {
        method: 'POST',
        headers: { ...relay.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ event: { type: 'x', payload: { hello: 'world' } } }),
      });
      const { id } = (await res.json()) as { id: string };
      const run = await waitFor('the run', async () => {
        const r = (await (await fetch(`${relay.url}/v1/runs/${id}`, { headers: relay.auth })).json()) as {
          status: string;
          steps: Array<{ output: { signature: string } }>;
        };
        return r.status === 'succeeded' ? r : null;
      });
      assert.equal(run.steps[0].output.signature, expected('{"hello":"world"}'));
    });
  });
});
