import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingest, TEST_SOURCES } from '../../../../test/delivery/setup.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../../../../test/helpers/relay.ts';
import { load } from './dist.mts';
import { n8nContext } from './n8n-context.mts';

type Items = Array<Array<{ json: { id: string; type: string } }>> | null;
interface PollNode {
  poll(this: unknown): Promise<Items>;
}
const pollNode = () =>
  new (load<{ HookrelayPollTrigger: new () => PollNode }>(
    'nodes/HookrelayPollTrigger/HookrelayPollTrigger.node.js',
  ).HookrelayPollTrigger)();

describe('the poll trigger reading events by cursor from a real relay', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ sources: TEST_SOURCES });
  });
  after(() => relay.stop());

  const context = (staticData: Record<string, unknown>, mode = 'trigger') => {
    const ctx = n8nContext({
      relayUrl: relay.url,
      apiKey: ADMIN_TOKEN,
      webhookUrl: '',
      staticData,
      parameters: { source: 'dev', type: 'order.*' },
    });
    return { ...ctx, getMode: () => mode };
  };

  it('starts from now, then emits each new matching event once, in order, across polls', async () => {
    const node = pollNode();
    await ingest(relay, { type: 'order.old' });
    const state: Record<string, unknown> = {};
    assert.equal(await node.poll.call(context(state)), null, 'the first poll only sets the cursor');
    const wanted = [await ingest(relay, { type: 'order.created' }), await ingest(relay, { type: 'order.paid' })];
    await ingest(relay, { type: 'customer.created' });
    await ingest(relay, { type: 'order.x' }, 'other');
    const first = await node.poll.call(context(state));
    assert.deepEqual(
      first?.[0].map((item) => item.json.id),
      wanted,
    );
    assert.equal(await node.poll.call(context(state)), null, 'nothing new');
    const later = await ingest(relay, { type: 'order.shipped' });
    assert.deepEqual(
      (await node.poll.call(context(state)))?.[0].map((i) => i.json.id),
      [later],
    );
  });

  it('pages through more than one page in a poll', async () => {
    const node = pollNode();
    const state: Record<string, unknown> = {};
    await node.poll.call(context(state));
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) ids.push(await ingest(relay, { type: 'order.bulk', i }));
    const items = (await node.poll.call(context(state)))?.[0] ?? [];
    assert.deepEqual(
      items.map((i) => i.json.id),
      ids,
    );
  });

  it('shows the newest matching event when run by hand, without moving the cursor', async () => {
    const node = pollNode();
    const state: Record<string, unknown> = {};
    const newest = await ingest(relay, { type: 'order.manual' });
    const items = await node.poll.call(context(state, 'manual'));
    assert.deepEqual(
      items?.[0].map((i) => i.json.id),
      [newest],
    );
    assert.equal(state.cursor, undefined);
  });
});
