// The bare-Express ingest baseline for bench/workflow.ts: raw body, Standard Webhooks HMAC check,
// answer 200. No storage, no workflow: the ceiling an HTTP ingest on this machine can reach.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { bareVerifier } from './lib/bare-verify.ts';

const verify = bareVerifier(String(process.env.BENCH_SECRET));
const app = express();
app.post('/hooks/bench', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
  if (!verify((name) => req.header(name), req.body as Buffer)) {
    res.status(401).end();
    return;
  }
  res.json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port }));
});
