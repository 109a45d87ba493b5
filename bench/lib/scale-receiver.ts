// Child process for bench/scale.ts: the endpoint receiver, on 127.0.0.1, in its own process so that
// receiving does not share the load generator's event loop. It answers 200 at once and counts, per
// message prefix (the body's `id` is `evt_<prefix>_<n>`), the distinct messages received, all
// receipts, and the time of the last one (epoch ms).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Tally {
  distinct: Set<string>;
  receipts: number;
  last: number;
}
const tallies = new Map<string, Tally>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = String((JSON.parse(Buffer.concat(chunks).toString()) as { id?: unknown }).id ?? '');
    const prefix = id.slice(0, id.lastIndexOf('_'));
    const tally = tallies.get(prefix) ?? { distinct: new Set<string>(), receipts: 0, last: 0 };
    tallies.set(prefix, tally);
    tally.distinct.add(id);
    tally.receipts++;
    tally.last = Date.now();
    res.writeHead(200).end();
  });
});

server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('message', (message: { op: string; prefix?: string }) => {
  if (message.op === 'tally') {
    const tally = tallies.get(message.prefix ?? '');
    process.send?.({
      op: 'tally',
      prefix: message.prefix,
      distinct: tally?.distinct.size ?? 0,
      receipts: tally?.receipts ?? 0,
      last: tally?.last ?? 0,
    });
  } else if (message.op === 'exit') {
    process.exit(0);
  }
});
