import { signHeaders } from '../../server/ingest/signers.ts';

export const LOAD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A relay config with one Standard Webhooks source named `load`. */
export const LOAD_CONFIG = `sources:
  - name: load
    verify: { scheme: standard-webhooks, secrets: ["${LOAD_SECRET}"] }
`;

export interface Ack {
  messageId: string;
  eventId: string;
  duplicate: boolean;
}

/** POSTs one signed message to /hooks/load; resolves with the answer, or null if no 200 came back. */
export async function sendSigned(url: string, messageId: string): Promise<Ack | null> {
  const body = JSON.stringify({ type: 'load.test', message: messageId });
  const headers = signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: LOAD_SECRET, body, id: messageId });
  try {
    const res = await fetch(`${url}/hooks/load`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 200) return null;
    const answer = (await res.json()) as { id: string; duplicate: boolean };
    return { messageId, eventId: answer.id, duplicate: answer.duplicate };
  } catch {
    return null; // the relay went away mid-request: not acknowledged
  }
}

/**
 * Sends every message id with `concurrency` requests in flight, until all are sent or `stop()` is
 * true. `onAck` sees each 200 as it arrives.
 */
export async function sendAll(
  url: string,
  messageIds: string[],
  options: { concurrency: number; onAck: (ack: Ack) => void; stop?: () => boolean },
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < messageIds.length && !options.stop?.()) {
      const ack = await sendSigned(url, messageIds[next++]);
      if (ack) options.onAck(ack);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}

/** Every stored event, paging through GET /v1/events with the `after` cursor. */
export async function listAll(url: string, token: string): Promise<Array<{ id: string; provider_id: string | null }>> {
  const all: Array<{ id: string; provider_id: string | null }> = [];
  let after = '';
  for (let page = 0; page < 10_000; page++) {
    const res = await fetch(`${url}/v1/events?limit=1000${after ? `&after=${after}` : ''}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as {
      data: Array<{ id: string; provider_id: string | null }>;
      has_more: boolean;
      last_id: string;
    };
    all.push(...body.data);
    if (!body.has_more) return all;
    after = body.last_id;
  }
  throw new Error('too many pages');
}
