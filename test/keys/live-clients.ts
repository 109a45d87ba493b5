import { io, type Socket } from 'socket.io-client';
import type { RelayEvent } from '../../server/store/types.ts';
import { waitFor } from '../helpers/wait.ts';
import { sseFrames } from '../live/live-helpers.ts';

/** An SSE client on a plain fetch: `closed()` resolves when the relay ends the stream (no reconnect). */
export async function sseClient(url: string, token: string) {
  const ids: string[] = [];
  const res = await fetch(`${url}/v1/events/stream`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}`);
  let ended = false;
  const reading = (async () => {
    for await (const frame of sseFrames(res.body as ReadableStream<Uint8Array>)) {
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (data) ids.push((JSON.parse(data.slice(6)) as RelayEvent).id);
    }
  })()
    .catch(() => {})
    .finally(() => {
      ended = true;
    });
  // Fails the test (instead of hanging it) when the relay never ends the stream.
  const closed = () => waitFor('the relay to end the SSE stream', () => ended).then(() => reading);
  return { ids, closed };
}

/** A Socket.IO client subscribed to every source it may read; `disconnected()` resolves with the reason. */
export async function socketClient(url: string, token: string) {
  const socket: Socket = io(url, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
  const ids: string[] = [];
  socket.on('event', (event: RelayEvent) => ids.push(event.id));
  let reason: string | null = null;
  socket.on('disconnect', (why) => {
    reason = why;
  });
  const disconnected = () => waitFor('the relay to disconnect the socket', () => reason);
  await waitFor('the socket connected', () => socket.connected);
  const ack = (await socket.timeout(10_000).emitWithAck('subscribe', {})) as { ok: boolean };
  if (!ack.ok) throw new Error(`subscribe answered ${JSON.stringify(ack)}`);
  return { ids, disconnected, close: () => void socket.disconnect() };
}
