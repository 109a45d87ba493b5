// node bench/live-cost.ts: what one event costs the relay to fan out, in figures other load on the
// machine barely moves: write system calls (Linux /proc/PID/io `syscw`) and CPU time per event, with
// LIVE_SSE SSE and LIVE_SOCKETIO Socket.IO subscribers (in this process) while LIVE_EVENTS signed
// webhooks arrive LIVE_CONCURRENCY at a time, 10 ms apart per webhook. The relay is `hookrelay start` on
// the file store in its own process. Not a test: it prints one line of figures. 127.0.0.1 only.
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { spawnRelay } from '../test/helpers/child-relay.ts';
import { BENCH_SECRET, preSign } from './lib/messages.ts';
import { cpuSeconds, stopChild } from './lib/relay-child.ts';

const SSE = Number(process.env.LIVE_SSE ?? 100);
const SOCKETIO = Number(process.env.LIVE_SOCKETIO ?? 0);
const EVENTS = Number(process.env.LIVE_EVENTS ?? 300);
const CONCURRENCY = Number(process.env.LIVE_CONCURRENCY ?? 1);
const TOKEN = 'bench-admin-token';

const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-live-cost-'));
const relay = await spawnRelay({
  dataDir,
  adminToken: TOKEN,
  configYaml: `store: { driver: lowdb }\nsources:\n  - name: bench\n    verify: { scheme: standard-webhooks, secrets: ["${BENCH_SECRET}"] }\n`,
});
let received = 0;
const url = new URL(relay.url);
const streams = await Promise.all(
  Array.from(
    { length: SSE },
    () =>
      new Promise<{ destroy(): void }>((resolve, reject) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          path: '/v1/events/stream',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        req.on('response', (res) => {
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
              if (buffered.slice(0, end).includes('\ndata: ')) received++;
              buffered = buffered.slice(end + 2);
            }
          });
          resolve(req);
        });
        req.on('error', reject);
        req.end();
      }),
  ),
);
const sockets = await Promise.all(
  Array.from(
    { length: SOCKETIO },
    () =>
      new Promise<Socket>((resolve) => {
        const socket = io(relay.url, { transports: ['websocket'], auth: { token: TOKEN } });
        socket.on('event', () => received++);
        socket.on('connect', () => socket.emit('subscribe', {}, () => resolve(socket)));
      }),
  ),
);
const pid = relay.child.pid as number;
const writeCalls = async () => Number(/syscw: (\d+)/.exec(await readFile(`/proc/${pid}/io`, 'utf8'))?.[1]);
const messages = preSign(EVENTS, 'live-cost');
const before = { cpu: await cpuSeconds(pid), writes: await writeCalls() };
for (let i = 0; i < messages.length; i += CONCURRENCY) {
  const group = messages.slice(i, i + CONCURRENCY);
  await Promise.all(
    group.map(async ({ headers, body }) => {
      const res = await fetch(`${relay.url}/hooks/bench`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 10 * group.length));
}
const expected = EVENTS * (SSE + SOCKETIO);
const deadline = Date.now() + 30_000;
while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
const after = { cpu: await cpuSeconds(pid), writes: await writeCalls() };
console.log(
  `${SSE} SSE + ${SOCKETIO} Socket.IO subscribers, ${EVENTS} events ${CONCURRENCY} at a time: received ${received} of ${expected}; ` +
    `relay write calls per event ${((after.writes - before.writes) / EVENTS).toFixed(1)}, ` +
    `relay CPU per event ${(((after.cpu - before.cpu) * 1e6) / EVENTS).toFixed(0)} µs; load average ${loadavg()[0].toFixed(1)}`,
);
for (const stream of streams) stream.destroy();
for (const socket of sockets) socket.close();
await stopChild(relay.child);
await rm(dataDir, { recursive: true, force: true });
