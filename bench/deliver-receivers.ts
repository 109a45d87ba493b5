// Child process for bench/deliver.ts: plain HTTP receivers on 127.0.0.1, one per endpoint, so the
// relay under test has its own core. A receiver counts deliveries and the time from the event's
// `sent_at` (set just before ingest) to receipt; `dead` receivers accept and never answer.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const count = Number(process.argv[2] ?? 10);
const stats = Array.from({ length: count }, () => ({ received: 0, latencies: [] as number[], first: 0, last: 0, dead: false }));

const servers = stats.map((stat) =>
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (stat.dead) return; // never answers: the relay's timeout ends the attempt
      const now = Date.now();
      const { sent_at } = JSON.parse(Buffer.concat(chunks).toString()) as { sent_at: number };
      stat.received++;
      stat.latencies.push(now - sent_at);
      stat.first ||= now;
      stat.last = now;
      res.writeHead(200).end('ok');
    });
  }),
);

await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
process.send?.({ ports: servers.map((s) => (s.address() as AddressInfo).port) });
process.on('message', (message: { op: string; dead?: number[] }) => {
  if (message.op === 'reset') {
    for (const [i, stat] of stats.entries())
      Object.assign(stat, { received: 0, latencies: [], first: 0, last: 0, dead: message.dead?.includes(i) ?? false });
    process.send?.({ op: 'reset' });
  } else if (message.op === 'stats') {
    process.send?.({ op: 'stats', stats });
  } else if (message.op === 'exit') {
    process.exit(0);
  }
});
