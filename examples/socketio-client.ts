// A typed Socket.IO subscriber for hookrelay's live stream.
//
//   HOOKRELAY_URL=http://127.0.0.1:8080 HOOKRELAY_TOKEN=hrt_... \
//     node examples/socketio-client.ts --source github --type 'pull_request.*'
//
// Short drops are recovered by Socket.IO itself (connection state recovery); after a longer one the
// client subscribes again with `after` set to the last event it saw, so it still misses nothing
// that retention kept.
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeRequest } from '../server/live/protocol.ts';
import type { RelayEvent } from '../server/store/types.ts';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const { values } = parseArgs({
  options: { source: { type: 'string', multiple: true }, type: { type: 'string', multiple: true }, after: { type: 'string' } },
});
const url = process.env.HOOKRELAY_URL ?? 'http://127.0.0.1:8080';
const token = process.env.HOOKRELAY_TOKEN ?? process.env.HOOKRELAY_ADMIN_TOKEN;
if (!token) {
  console.error('set HOOKRELAY_TOKEN to an admin or subscriber token (POST /v1/tokens makes one)');
  process.exit(2);
}

let lastId: string | undefined = values.after;

function onEvent(event: RelayEvent): void {
  lastId = event.id;
  console.log(`${event.received_at}  ${event.source}  ${event.type}  ${event.id}`);
}

async function subscribe(socket: LiveSocket): Promise<void> {
  const request: SubscribeRequest = { sources: values.source, types: values.type, after: lastId };
  const answer = await socket.timeout(60_000).emitWithAck('subscribe', request);
  if (!answer.ok) {
    console.error(`subscribe refused: ${answer.error.code}: ${answer.error.message}`);
    socket.disconnect();
    return;
  }
  console.error(`subscribed${lastId ? ` after ${lastId}` : ''}`);
}

const socket: LiveSocket = io(url, { path: '/socket.io', auth: { token } });
socket.on('event', onEvent);
socket.on('gap', (gap) => console.error(`events after ${gap.after} and before ${gap.oldest_id} are past retention`));
socket.on('connect', () => {
  // A recovered connection kept its rooms and got what it missed; anything else starts from the cursor.
  if (!socket.recovered) void subscribe(socket);
});
socket.on('connect_error', (error) => {
  const data = (error as Error & { data?: { code: string } }).data;
  if (data?.code === 'unauthorized') {
    console.error(error.message);
    process.exit(1);
  }
});
socket.on('disconnect', (reason) => {
  // The relay cuts off a subscriber that falls too far behind; Socket.IO does not reconnect those by itself.
  if (reason === 'io server disconnect') socket.connect();
});
process.once('SIGINT', () => socket.disconnect());
