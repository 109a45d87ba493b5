import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface SignedReceipt {
  /** `webhook-id`: the event id for endpoint deliveries. */
  id: string;
  at: number;
  valid: boolean;
  body: string;
}

/**
 * An endpoint receiver that checks each Standard Webhooks signature with the standardwebhooks library
 * (the secret is set once the endpoint exists) and answers 200, or 400 to a bad signature.
 */
export async function startSignedReceiver() {
  const receipts: SignedReceipt[] = [];
  let verifier: Webhook | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const valid = verify(verifier, body, req.headers);
      receipts.push({ id: String(req.headers['webhook-id']), at: Date.now(), valid, body });
      res.writeHead(valid ? 200 : 400).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    receipts,
    setSecret(secret: string) {
      verifier = new Webhook(secret);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A receiver for workflow requests: records each JSON body with its arrival time, answers 200 {}. */
export async function startJsonReceiver() {
  const received: Array<{ path: string; json: unknown; at: number }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', json: text ? JSON.parse(text) : null, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Checks at-least-once receipts after a kill: each key arrived at least once; more than once only if
 * its first arrival came before the kill (an attempt the dead relay made but had not recorded), and
 * then exactly twice (the survivor's one repeat). Returns the keys that repeated.
 */
export function repeatsAfterKill(arrivals: Array<{ key: string; at: number }>, expected: Iterable<string>, killedAt: number) {
  const byKey = new Map<string, number[]>();
  for (const { key, at } of arrivals) byKey.set(key, [...(byKey.get(key) ?? []), at]);
  const repeated: string[] = [];
  for (const key of expected) {
    const times = byKey.get(key) ?? [];
    if (times.length === 0) throw new Error(`${key} never arrived`);
    if (times.length === 1) continue;
    if (times.length > 2 || Math.min(...times) > killedAt) {
      throw new Error(`${key} arrived ${times.length} times, first ${Math.min(...times) - killedAt} ms after the kill`);
    }
    repeated.push(key);
  }
  return repeated;
}

function verify(verifier: Webhook | null, body: string, headers: IncomingHttpHeaders): boolean {
  if (!verifier) return false;
  try {
    verifier.verify(body, {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
}
