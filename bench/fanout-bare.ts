// The bare pipeline bench/fanout.ts compares the relay with, in its own process: Express 5 takes a signed
// webhook (raw body, Standard Webhooks HMAC check), answers 200, then broadcasts it to every Socket.IO
// subscriber and every SSE stream. No storage, no auth, no buffers: what fan-out costs on this machine
// with the same libraries. It speaks the relay's routes and event shape so the same clients can follow it.
// Prints {"port": N} once listening.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { Server } from 'socket.io';
import { bareVerifier } from './lib/bare-verify.ts';

const verify = bareVerifier(String(process.env.BENCH_SECRET));
const app = express();
const http = createServer(app);
const io = new Server(http, { path: '/socket.io' });
const streams = new Set<Response>();
let sequence = 0;

io.on('connection', (socket) => {
  socket.on('subscribe', (_filter: unknown, ack?: (answer: unknown) => void) => {
    void socket.join('bench');
    ack?.({ ok: true });
  });
});

app.get('/v1/events/stream', (req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': open\n\n');
  streams.add(res);
  req.on('close', () => streams.delete(res));
});

app.post('/hooks/bench', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
  const body = req.body as Buffer;
  if (!verify((name) => req.header(name), body)) {
    res.status(401).end();
    return;
  }
  // Ids sort in arrival order, as the relay's do, so the clients' order check holds.
  const event = {
    id: `evt_${String(++sequence).padStart(12, '0')}`,
    received_at: new Date().toISOString(),
    payload: JSON.parse(body.toString('utf8')) as unknown,
  };
  res.json({ id: event.id, duplicate: false });
  io.to('bench').emit('event', event);
  const frame = `id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`;
  for (const stream of streams) stream.write(frame);
});

http.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (http.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => {
  for (const stream of streams) stream.end();
  void io.close();
  http.close(() => process.exit(0));
});
