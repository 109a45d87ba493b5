// The bare-Express baselines for bench/workflow.ts: raw body, Standard Webhooks HMAC check, answer 200.
// No storage, no workflow: the ceiling an HTTP ingest on this machine can reach. With BENCH_FORWARD_TO
// it is the bare Node forwarder: it POSTs the body there with fetch (as the workflow's http.request
// step does) and answers once that is done.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { bareVerifier } from './lib/bare-verify.ts';

const verify = bareVerifier(String(process.env.BENCH_SECRET));
const forwardTo = process.env.BENCH_FORWARD_TO;
const app = express();
app.post('/hooks/bench', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
  if (!verify((name) => req.header(name), req.body as Buffer)) {
    res.status(401).end();
    return;
  }
  // The forward is awaited before the 200, so autocannon's connections bound how many are in flight.
  if (forwardTo) {
    const body = new Uint8Array(req.body as Buffer);
    const answer = await fetch(forwardTo, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await answer.arrayBuffer();
  }
  res.json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port }));
});
