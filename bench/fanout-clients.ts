// Child process of bench/fanout.ts (several run at once): opens its share of the Socket.IO and SSE
// subscribers, measures the delay from each event's send time (in its payload) to its arrival, and
// reports the raw figures to the parent over IPC (advanced serialization, for the typed arrays).
import { io, type Socket } from 'socket.io-client';
import { readFrames } from '../server/cli/sse-client.ts';

interface Tick {
  id: string;
  received_at: string;
  payload: { seq: number; sent_at: number; warmup?: boolean };
}

interface Subscriber {
  kind: 'socketio' | 'sse';
  received: number;
  /** Warm-up events seen (not measured). */
  warm: number;
  lastId: string;
  outOfOrder: number;
  dropped: boolean;
}

const [url, token, sioCount, sseCount] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
/** Send → arrival (the bar), and received_at → arrival (received_at is stamped when ingest takes the event, before its durable write; millisecond precision). */
const latencies: Record<Subscriber['kind'], number[]> = { socketio: [], sse: [] };
const fanOut: Record<Subscriber['kind'], number[]> = { socketio: [], sse: [] };
const subscribers: Subscriber[] = [];
const closers: Array<() => void> = [];

function arrived(subscriber: Subscriber, tick: Tick): void {
  const at = now();
  // Ids sort in store order: each subscriber must see them ascending, warm-up events included.
  if (tick.id <= subscriber.lastId) subscriber.outOfOrder++;
  subscriber.lastId = tick.id;
  if (tick.payload.warmup) {
    subscriber.warm++;
    return;
  }
  latencies[subscriber.kind].push(at - tick.payload.sent_at);
  fanOut[subscriber.kind].push(at - Date.parse(tick.received_at));
  subscriber.received++;
}

async function openSocketIo(): Promise<void> {
  const subscriber: Subscriber = { kind: 'socketio', received: 0, warm: 0, lastId: '', outOfOrder: 0, dropped: false };
  subscribers.push(subscriber);
  const socket: Socket = io(url, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
  socket.on('event', (event: Tick) => arrived(subscriber, event));
  socket.on('disconnect', () => {
    subscriber.dropped = true;
  });
  closers.push(() => socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  await socket.emitWithAck('subscribe', { sources: ['bench'] });
}

async function openSse(): Promise<void> {
  const subscriber: Subscriber = { kind: 'sse', received: 0, warm: 0, lastId: '', outOfOrder: 0, dropped: false };
  subscribers.push(subscriber);
  const abort = new AbortController();
  closers.push(() => abort.abort());
  const res = await fetch(`${url}/v1/events/stream?source=bench`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}`);
  readFrames(res.body, {
    onRetry: () => {},
    onMessage: (message) => arrived(subscriber, JSON.parse(message.data) as Tick),
  })
    .catch(() => {})
    .finally(() => {
      if (!abort.signal.aborted) subscriber.dropped = true;
    });
}

/** What this process saw, raw, so the parent can merge the percentiles of every client process exactly. */
function observed(kind: Subscriber['kind']) {
  return {
    latencies: Float64Array.from(latencies[kind]),
    fanOut: Float64Array.from(fanOut[kind]),
    subscribers: subscribers
      .filter((s) => s.kind === kind)
      .map(({ received, outOfOrder, dropped }) => ({ received, outOfOrder, dropped })),
  };
}

// Connect in small groups so the handshakes do not all land at once.
for (let i = 0; i < Number(sioCount); i += 25) {
  await Promise.all(Array.from({ length: Math.min(25, Number(sioCount) - i) }, openSocketIo));
}
for (let i = 0; i < Number(sseCount); i += 25) {
  await Promise.all(Array.from({ length: Math.min(25, Number(sseCount) - i) }, openSse));
}
process.send?.({ ready: true });

process.on('message', (message: { warmup?: number; expect?: number; report?: boolean }) => {
  if (message.warmup !== undefined) {
    const expect = message.warmup;
    const check = setInterval(() => {
      if (subscribers.every((s) => s.dropped || s.warm >= expect)) {
        clearInterval(check);
        process.send?.({ warmedUp: true });
      }
    }, 50);
  }
  if (message.expect !== undefined) {
    const expect = message.expect;
    const check = setInterval(() => {
      if (subscribers.every((s) => s.dropped || s.received >= expect)) {
        clearInterval(check);
        process.send?.({ caughtUp: true });
      }
    }, 50);
  }
  if (message.report) {
    // Taken before the subscribers close (closing marks them dropped); the process exits only once the
    // report (megabytes of latencies in a full run) has gone down the IPC channel.
    const report = { socketio: observed('socketio'), sse: observed('sse') };
    for (const close of closers) close();
    process.send?.({ report }, () => process.exit(0));
  }
});
