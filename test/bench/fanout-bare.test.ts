import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { io, type Socket } from 'socket.io-client';
import { signHeaders } from '../../server/ingest/signers.ts';
import { waitFor } from '../helpers/wait.ts';

// The fan-out bench's baseline must do the job it stands for: check the signature, answer, and reach
// every Socket.IO and SSE subscriber with the event in the relay's shape, so the same clients follow both.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BARE = fileURLToPath(new URL('../../bench/fanout-bare.ts', import.meta.url));

interface Tick {
  id: string;
  received_at: string;
  payload: { seq: number };
}

function post(url: string, seq: number, secret = SECRET): Promise<Response> {
  const body = JSON.stringify({ type: 'bench.tick', seq });
  const headers = {
    'content-type': 'application/json',
    ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret, body }),
  };
  return fetch(`${url}/hooks/bench`, { method: 'POST', headers, body });
}

describe('fan-out bench baseline: bare Express + Socket.IO + SSE', () => {
  const child = spawn(process.execPath, [BARE], {
    env: { ...process.env, BENCH_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url = '';
  let socket: Socket;
  let stream: EventSource;
  const viaSocket: Tick[] = [];
  const viaSse: Tick[] = [];

  before(async () => {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
    socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false });
    socket.on('event', (tick: Tick) => viaSocket.push(tick));
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    await socket.emitWithAck('subscribe', { sources: ['bench'] });
    stream = new EventSource(`${url}/v1/events/stream?source=bench`);
    stream.onmessage = (message) => viaSse.push(JSON.parse(message.data) as Tick);
    await new Promise((resolve) => {
      stream.onopen = resolve;
    });
  });

  after(async () => {
    socket?.disconnect();
    stream?.close();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });

  it('refuses a bad signature with 401 and broadcasts nothing for it', async () => {
    assert.equal((await post(url, 1, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status, 401);
    const answer = await post(url, 2);
    assert.equal(answer.status, 200);
    const { id } = (await answer.json()) as { id: string };
    await waitFor('both subscribers to get the signed event', () => viaSocket.length >= 1 && viaSse.length >= 1);
    for (const received of [viaSocket, viaSse]) {
      assert.deepEqual(
        received.map((t) => [t.id, t.payload.seq]),
        [[id, 2]],
      );
      assert.ok(Date.parse(received[0].received_at) > 0);
    }
  });

  it('gives ids that sort in arrival order, as the relay does', async () => {
    for (const seq of [3, 4, 5]) assert.equal((await post(url, seq)).status, 200);
    await waitFor('four events on both transports', () => viaSocket.length === 4 && viaSse.length === 4);
    for (const received of [viaSocket, viaSse]) {
      const ids = received.map((t) => t.id);
      assert.deepEqual(ids, [...ids].sort());
      assert.deepEqual(
        received.map((t) => t.payload.seq),
        [2, 3, 4, 5],
      );
    }
  });
});
