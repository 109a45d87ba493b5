// Child process of bench/fanout.ts: opens the Socket.IO and SSE subscribers, measures the delay from
// each event's send time (in its payload) to its arrival, and reports to the parent over IPC.
import { io, type Socket } from 'socket.io-client';
import { readFrames } from '../server/cli/sse-client.ts';

interface Tick {
  id: string;
  received_at: string;
  payload: { seq: number; sent_at: number };
}

interface Subscriber {
  kind: 'socketio' | 'sse';
  received: number;
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
  latencies[subscriber.kind].push(at - tick.payload.sent_at);
  fanOut[subscriber.kind].push(at - Date.parse(tick.received_at));
  subscriber.received++;
  // Ids sort in store order: each subscriber must see them ascending.
  if (tick.id <= subscriber.lastId) subscriber.outOfOrder++;
  subscriber.lastId = tick.id;
}

async function openSocketIo(): Promise<void> {
  const subscriber: Subscriber = { kind: 'socketio', received: 0, lastId: '', outOfOrder: 0, dropped: false };
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
  const subscriber: Subscriber = { kind: 'sse', received: 0, lastId: '', outOfOrder: 0, dropped: false };
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

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(kind: Subscriber['kind']) {
  const sorted = latencies[kind].sort((a, b) => a - b);
  const stored = fanOut[kind].sort((a, b) => a - b);
  const own = subscribers.filter((s) => s.kind === kind);
  return {
    clients: own.length,
    dropped: own.filter((s) => s.dropped).length,
    deliveredMin: Math.min(...own.map((s) => s.received)),
    deliveredMax: Math.max(...own.map((s) => s.received)),
    outOfOrder: own.reduce((n, s) => n + s.outOfOrder, 0),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    storedP50: percentile(stored, 50),
    storedP99: percentile(stored, 99),
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

process.on('message', (message: { expect?: number; report?: boolean }) => {
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
    process.send?.({ report: { socketio: summary('socketio'), sse: summary('sse') } });
    for (const close of closers) close();
    setTimeout(() => process.exit(0), 200).unref();
  }
});
