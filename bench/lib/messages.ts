import { signHeaders } from '../../server/ingest/signers.ts';

export const BENCH_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface SignedMessage {
  headers: Record<string, string>;
  body: string;
}

/** `count` distinct Standard Webhooks messages shaped like an OpenAI webhook, signed now (5-minute tolerance). */
export function preSign(count: number, prefix: string): SignedMessage[] {
  const messages: SignedMessage[] = [];
  const timestamp = Math.floor(Date.now() / 1000);
  for (let i = 0; i < count; i++) {
    const id = `msg_${prefix}_${i}`;
    const body = JSON.stringify({
      id: `evt_${prefix}_${i}`,
      object: 'event',
      created_at: timestamp,
      type: i % 3 ? 'response.completed' : 'batch.completed',
      data: { id: `resp_${prefix}_${i}`, status: 'completed', usage: { input_tokens: 312, output_tokens: 1024 } },
    });
    const headers = signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: BENCH_SECRET, body, id, timestamp });
    messages.push({ headers: { ...headers, 'content-type': 'application/json' }, body });
  }
  return messages;
}
