import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'svix';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The secrets (of those the receiver knows) whose signature is in webhook-signature. */
  verifiedWith: string[];
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A webhook receiver on 127.0.0.1 port 0 that checks every request with the svix library, as a user's
 * service would. `answer` decides the response per request (index = how many came before).
 */
export class Receiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  answer: (index: number, req: Received) => Answer = () => ({ status: 204 });
  inFlight = 0;
  maxInFlight = 0;
  readonly #hanging: Array<{ entry: Received; res: ServerResponse }> = [];
  #server: Server = createServer((req, res) => this.#handle(req, res));
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers every request that was left hanging (200 by default); returns those requests. */
  release(status = 200): Received[] {
    const released = this.#hanging.splice(0);
    for (const { res } of released) {
      this.inFlight--;
      if (!res.destroyed) res.writeHead(status).end();
    }
    return released.map((h) => h.entry);
  }

  async stop(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  ids(): string[] {
    return this.received.map((r) => String(r.headers['webhook-id']));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const entry: Received = {
      path: req.url ?? '',
      headers: req.headers,
      body,
      verifiedWith: this.secrets.filter((s) => verifies(s, body, req.headers)),
    };
    const answer = this.answer(this.received.length, entry);
    this.received.push(entry);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (answer === 'hang') {
      this.#hanging.push({ entry, res });
      return;
    }
    // Let concurrent requests overlap a little so the in-flight maximum is observable.
    setImmediate(() => {
      this.inFlight--;
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  }
}

/**
 * Verifies with the svix library. When a test has moved its fake clock hours ahead, the timestamp is
 * outside svix's 5-minute tolerance of the real clock, so then the signature is recomputed with the
 * library's own signer and compared instead (the signature check itself is the same).
 */
function verifies(secret: string, body: string, headers: IncomingMessage['headers']): boolean {
  const wh = new Webhook(secret);
  const id = String(headers['webhook-id']);
  const timestamp = Number(headers['webhook-timestamp']);
  const flat = {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': String(headers['webhook-signature']),
  };
  if (Math.abs(timestamp - Date.now() / 1000) < 240) {
    try {
      wh.verify(body, flat);
      return true;
    } catch (error) {
      // verify() parses the payload as JSON only after the signature matched: a form body lands here.
      return error instanceof SyntaxError;
    }
  }
  const expected = wh.sign(id, new Date(timestamp * 1000), body);
  return flat['webhook-signature'].split(' ').includes(expected);
}
