import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { api } from '../workflows/helpers.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

describe('a workflow with the openai.responses steps', { timeout: 30_000 }, () => {
  let h: AiHarness;
  before(async () => {
    const dir = await workflowDir({
      'summarise.yaml': `name: summarise
steps:
  - id: ask
    uses: openai.responses.create
    with:
      model: fake-1
      input: "{{ 'Summarise: ' & event.payload.text }}"
      metadata: { run: "{{ run.id }}" }
  - id: again
    uses: openai.responses.retrieve
    with: { id: "{{ steps.ask.output.id }}" }
`,
    });
    h = await startAiRelay({}, { sections: { workflows: { dir, watch: false } } });
  });
  after(() => h.stop());

  it('creates a response through the relay, waits for it and hands its text to the next step', async () => {
    h.fake.script({ tokens: ['short ', 'summary'] });
    const event = await h.relay.relay.ctx.eventService.emit({
      source: 'manual',
      type: 'doc.added',
      payload: { text: 'a long document' },
    });
    const run = await api<{ id: string }>(h.relay.url, '/v1/workflows/summarise/runs', {
      method: 'POST',
      body: { event_id: event.id },
      auth: h.relay.auth,
    });
    type Detail = {
      status: string;
      steps: Array<{ output: { id: string; status: string; output_text: string }; error?: string }>;
    };
    const done = await waitFor('the run', async () => {
      const r = await api<Detail>(h.relay.url, `/v1/runs/${run.body.id}`, { auth: h.relay.auth });
      return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : null;
    });
    assert.equal(done.status, 'succeeded', done.steps.map((s) => s.error).join('; '));
    assert.equal(done.steps[0]?.output.output_text, 'short summary');
    assert.equal(done.steps[1]?.output.id, done.steps[0]?.output.id);
    assert.deepEqual(h.fake.requests.at(-1)?.body?.messages, [{ role: 'user', content: 'Summarise: a long document' }]);
  });
});
