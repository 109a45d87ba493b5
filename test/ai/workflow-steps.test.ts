import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type CreateStepParams, responsesCreateStep, responsesRetrieveStep } from '../../plugins/openai.responses/index.ts';
import { AI_RESPONSES, AI_UPSTREAMS, type StepContext } from '../../plugins/sdk.ts';
import { createTestContext } from '../../plugins/testing.ts';
import { sendJson } from '../helpers/fake-openai.ts';
import { waitFor } from '../helpers/wait.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

interface StepOutput {
  id: string;
  status: string;
  output_text: string;
  usage: { output_tokens: number } | null;
}
const create = async (ctx: StepContext, params: CreateStepParams): Promise<StepOutput> =>
  (await responsesCreateStep.run(ctx, params)) as StepOutput;
const retrieve = async (ctx: StepContext, params: { target?: string; id: string; wait?: boolean }): Promise<StepOutput> =>
  (await responsesRetrieveStep.run(ctx, params)) as StepOutput;

describe('workflow steps openai.responses.create and openai.responses.retrieve', { timeout: 20_000 }, () => {
  let h: AiHarness;
  let ctx: StepContext;
  const upstreamResponses = new Map<string, Record<string, unknown>>();
  before(async () => {
    h = await startAiRelay();
    const services = h.relay.relay.ctx.services;
    ctx = createTestContext({
      services: { 'ai.responses': services.get(AI_RESPONSES), 'ai.upstreams': services.get(AI_UPSTREAMS) },
    });
    // The fake upstream's own Responses API, for target: <upstream>.
    const answer = (id: string, body: Record<string, unknown>) => ({
      id,
      object: 'response',
      created_at: 1,
      status: body.background ? 'queued' : 'completed',
      model: body.model,
      output: body.background
        ? []
        : [
            {
              id: 'msg_1',
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: `echo: ${body.input}`, annotations: [] }],
            },
          ],
    });
    h.fake.route('POST', /^\/v1\/responses$/, (_req: IncomingMessage, res: ServerResponse, body) => {
      const id = `resp_up_${upstreamResponses.size}`;
      upstreamResponses.set(id, answer(id, body as Record<string, unknown>));
      sendJson(res, 200, upstreamResponses.get(id));
    });
    h.fake.route('GET', /^\/v1\/responses\/([^/?]+)/, (_req, res, _body, match) => {
      const found = upstreamResponses.get(match[1] as string);
      sendJson(res, found ? 200 : 404, found ?? { error: { message: 'no such response' } });
    });
  });
  after(() => h.stop());

  it('creates a response through the relay and waits for its text', async () => {
    h.fake.script({ tokens: ['from ', 'relay'] });
    const out = await create(ctx, { model: 'fake-1', input: 'hi' });
    assert.equal(out.status, 'completed');
    assert.equal(out.output_text, 'from relay');
    assert.ok(out.usage && out.usage.output_tokens === 2);
    const again = await retrieve(ctx, { id: out.id });
    assert.equal(again.output_text, 'from relay');
  });

  it('returns at once with wait: false, and retrieve with wait: true waits for the end', async () => {
    h.fake.script({ tokens: ['later'], pauseAfter: 0 });
    const queued = await create(ctx, { model: 'fake-1', input: 'x', wait: false });
    assert.notEqual(queued.status, 'completed');
    const waiting = retrieve(ctx, { id: queued.id, wait: true });
    await waitFor('the upstream call to pause', () => h.fake.requests.at(-1)?.paused);
    h.fake.release();
    assert.equal((await waiting).output_text, 'later');
  });

  it('calls a configured upstream directly with target: <upstream name>', async () => {
    const out = await create(ctx, { target: 'fake', model: 'gpt-x', input: 'ping' });
    assert.equal(out.output_text, 'echo: ping');
    const found = await retrieve(ctx, { target: 'fake', id: out.id });
    assert.equal(found.id, out.id);
    await assert.rejects(create(ctx, { target: 'nope', model: 'm', input: 'x' }), /no upstream named "nope"/);
  });
});
