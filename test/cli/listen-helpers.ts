import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { spawnCli } from '../helpers/cli.ts';

export interface Receipt {
  eventId: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The standardwebhooks library's verdict with the receiver's secret (null: no secret set). */
  verified: boolean | null;
  answered: number;
}

/**
 * A local app behind `listen`: records every request, verifies Standard Webhooks signatures with the
 * standardwebhooks library when given a secret, and answers with the next status of `answers` (then 200).
 */
export async function startLocalApp(options: { secret?: string } = {}) {
  const receipts: Receipt[] = [];
  const answers: number[] = [];
  const verifier = options.secret ? new Webhook(options.secret) : null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let verified: boolean | null = null;
      if (verifier) {
        try {
          verifier.verify(body.toString('utf8'), req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
      }
      const answered = answers.shift() ?? 200;
      receipts.push({ eventId: String(req.headers['x-hookrelay-event-id']), headers: req.headers, body, verified, answered });
      res.writeHead(answered).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    receipts,
    /** Statuses to answer the next requests with, in order. */
    answers,
    delivered: (eventId: string) => receipts.filter((r) => r.eventId === eventId && r.answered < 300).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `hookrelay listen ...` as a child process; collects stdout lines (one per event) and stderr lines. */
export function spawnListen(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(['listen', ...args], env);
  return { ...cli, connected: () => cli.errors.some((l) => l.includes('connected, resuming after')) };
}
