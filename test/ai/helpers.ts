import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay, type TestRelayOptions } from '../helpers/relay.ts';

export interface AiHarness {
  fake: FakeOpenAI;
  relay: TestRelay;
  /** The official SDK pointed at the relay. */
  client: OpenAI;
  stop(): Promise<void>;
}

/** A relay whose `fake-*` models go to a fake upstream, with fast retries. */
export async function startAiRelay(ai: Record<string, unknown> = {}, options: TestRelayOptions = {}): Promise<AiHarness> {
  const fake = await startFakeOpenAI();
  const relay = await startRelay({
    ...options,
    sections: {
      ...options.sections,
      ai: { backoffMs: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }], ...ai },
    },
  });
  const client = new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 });
  return {
    fake,
    relay,
    client,
    async stop() {
      await relay.stop();
      await fake.close();
    },
  };
}
