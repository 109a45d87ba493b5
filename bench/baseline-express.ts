// The bare-Express ingest baseline for bench/workflow.ts: raw body, Standard Webhooks HMAC check,
// answer 200. No storage, no workflow: the ceiling an HTTP ingest on this machine can reach.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';

const key = Buffer.from(String(process.env.BENCH_SECRET).replace(/^whsec_/, ''), 'base64');
const app = express();
app.post('/hooks/bench', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
  const signed = `${req.header('webhook-id')}.${req.header('webhook-timestamp')}.${(req.body as Buffer).toString('utf8')}`;
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
  const given = Buffer.from(String(req.header('webhook-signature')));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.status(401).end();
    return;
  }
  res.json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port }));
});
