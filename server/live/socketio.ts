import type { Server as HttpServer } from 'node:http';
import { Server as IoServer, type Socket } from 'socket.io';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { toHttpProblem } from '../http/errors.ts';
import { hasScope, type Principal } from '../principals.ts';
import type { RelayEvent } from '../store/types.ts';
import type { StreamConfig } from './config.ts';
import { parseCursor, type StreamFilter, streamFilter } from './filter.ts';
import type { LiveMetrics } from './metrics.ts';
import type { ClientToServerEvents, ConnectErrorData, ServerToClientEvents, SubscribeAck, SubscribeRequest } from './protocol.ts';
import { replayThenGoLive } from './replay.ts';
import { createRoomRegistry } from './rooms.ts';
import { createTickCork } from './tick-cork.ts';

interface SocketData {
  principal: Principal;
  /** The credential the socket connected with, checked again whenever credentials change. */
  token: string | null;
  subscription: { filter: StreamFilter; rooms: string[] } | null;
  /** True once the subscription's backlog is sent and the socket is in its rooms. */
  live: boolean;
  /** The last event sent while replaying: where a recovered connection's replay continues. */
  lastSent: string | null;
  /** Subscribes on one connection run one after another. */
  queue: Promise<void>;
}

type LiveServer = IoServer<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** An engine.io connection as its `flush` event passes it. */
interface EngineConnection {
  transport: { name: string };
  request: { socket: { cork(): void; uncork(): void } };
}

/** What engine.io holds for a connection that has not reached the client yet (not part of its typings). */
interface EngineBuffers {
  writeBuffer?: Array<{ data?: string | Buffer }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

function bufferedBytes(socket: LiveSocket): number {
  const conn = socket.conn as unknown as EngineBuffers;
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  const queued = conn.writeBuffer;
  if (queued) for (let i = 0; i < queued.length; i++) bytes += queued[i].data?.length ?? 0;
  return bytes;
}

const sameSources = (a: Principal, b: Principal) => JSON.stringify(a.sources) === JSON.stringify(b.sources);

function drained(socket: LiveSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.conn.off('drain', done);
      socket.off('disconnect', done);
      resolve();
    };
    socket.conn.on('drain', done);
    socket.on('disconnect', done);
  });
}

/** Socket.IO on /socket.io: token handshake, `subscribe` into shared rooms, replay by cursor, recovery of short drops. */
export function createSocketHub(ctx: RelayContext, config: StreamConfig, metrics: LiveMetrics, hasSlot: () => boolean) {
  const rooms = createRoomRegistry(ctx.clock, config.recoveryMs);
  let io: LiveServer | null = null;

  function refuse(code: ConnectErrorData['code'], message: string): Error {
    return Object.assign(new Error(`${code}: ${message}`), { data: { code, message } satisfies ConnectErrorData });
  }

  function authenticate(socket: LiveSocket, next: (err?: Error) => void): void {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const principal = ctx.credentials.authenticate(typeof token === 'string' ? token : undefined);
    if (!principal) {
      next(refuse('unauthorized', 'Connect with auth: {token: "<admin token, key or subscriber token>"}.'));
    } else if (!hasScope(principal, 'events:read')) {
      next(refuse('insufficient_scope', 'This needs the "events:read" scope.'));
    } else if (!socket.recovered && !hasSlot()) {
      next(refuse('too_many_subscribers', `The relay already serves ${config.maxSubscribers} live subscribers.`));
    } else {
      socket.data.principal = principal;
      socket.data.token = token as string;
      next();
    }
  }

  /** Replays stored events to this socket alone, then joins its rooms in the same tick as the hand-over. */
  async function replayThenJoin(socket: LiveSocket, after: string): Promise<void> {
    const subscription = socket.data.subscription as NonNullable<SocketData['subscription']>;
    const own = () => (io as LiveServer).to(socket.id);
    await replayThenGoLive({ store: ctx.storage.events, bus: ctx.bus, config }, subscription.filter, after, {
      gap: (gap) => own().emit('gap', gap),
      async replay(event) {
        // Through the socket's own room, so Socket.IO's recovery buffer keeps it across a short drop.
        own().emit('event', event);
        socket.data.lastSent = event.id;
        if (bufferedBytes(socket) > config.maxBufferBytes / 2) await drained(socket);
      },
      closed: () => socket.disconnected || socket.data.subscription !== subscription,
      goLive(pending) {
        for (const event of pending) own().emit('event', event);
        socket.join(subscription.rooms);
        socket.data.live = true;
      },
    });
  }

  async function subscribe(socket: LiveSocket, request: SubscribeRequest | undefined, ack: (answer: SubscribeAck) => void) {
    let filter: StreamFilter;
    let after: string | undefined;
    try {
      if (request !== undefined && (typeof request !== 'object' || request === null || Array.isArray(request))) {
        throw new RelayError('invalid_request', '"subscribe" takes an object: {sources?, types?, after?}.');
      }
      filter = streamFilter(socket.data.principal, request?.sources, request?.types);
      after = parseCursor(request?.after, 'after');
    } catch (error) {
      const { code, message } = toHttpProblem(error);
      return ack({ ok: false, error: { code, message } });
    }
    for (const room of socket.data.subscription?.rooms ?? []) socket.leave(room);
    socket.data.subscription = { filter, rooms: rooms.roomsFor(filter) };
    socket.data.live = false;
    socket.data.lastSent = after ?? null;
    if (after === undefined) {
      socket.join(socket.data.subscription.rooms);
      socket.data.live = true;
    } else {
      await replayThenJoin(socket, after);
    }
    ack({ ok: true });
  }

  function onConnection(socket: LiveSocket): void {
    metrics.subscribers.inc({ transport: 'socketio' });
    socket.on('disconnect', () => metrics.subscribers.dec({ transport: 'socketio' }));
    socket.data.queue ??= Promise.resolve();
    socket.on('subscribe', (request, ack) => {
      const answer = typeof ack === 'function' ? ack : () => {};
      socket.data.queue = socket.data.queue.then(() =>
        subscribe(socket, request, answer).catch((err: unknown) => {
          ctx.logger.error({ err }, 'Socket.IO subscribe failed');
          answer({ ok: false, error: { code: 'internal_error', message: 'The subscription failed; try again.' } });
        }),
      );
    });
    // A drop in the middle of a replay: Socket.IO restored what was sent; continue from there.
    if (socket.recovered && socket.data.subscription && !socket.data.live && socket.data.lastSent) {
      const after = socket.data.lastSent;
      socket.data.queue = socket.data.queue
        .then(() => replayThenJoin(socket, after))
        .catch(() => {
          socket.disconnect(true);
        });
    }
  }

  /** Cuts off sockets in these rooms that hold more unsent bytes than the bound; they resume by cursor. */
  function enforceBound(server: LiveServer, matched: string[]): void {
    const namespace = server.of('/');
    const seen = matched.length > 1 ? new Set<string>() : null;
    for (const room of matched) {
      for (const id of namespace.adapter.rooms.get(room) ?? []) {
        if (seen) {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        const socket = namespace.sockets.get(id);
        if (!socket || bufferedBytes(socket) <= config.maxBufferBytes) continue;
        metrics.cut.inc({ transport: 'socketio' });
        ctx.logger.warn({ socket: id, limit: config.maxBufferBytes }, 'Socket.IO subscriber fell behind: disconnected');
        socket.disconnect(true);
      }
    }
  }

  /**
   * The bound is checked once per tick for the rooms its events went to, not once per event: a group
   * commit publishes many events in one tick, and each check walks every socket in those rooms.
   */
  const toCheck = new Set<string>();
  function boundCheck(matched: string[]): void {
    if (toCheck.size === 0) process.nextTick(checkBound);
    for (const room of matched) toCheck.add(room);
  }
  function checkBound(): void {
    const matched = [...toCheck];
    toCheck.clear();
    if (io) enforceBound(io, matched);
  }

  /**
   * Disconnects sockets whose credential was revoked, lost `events:read` or now reads other sources
   * (their rooms were chosen for the old sources; a reconnect gets the narrowed ones).
   */
  function recheck(): void {
    for (const socket of io?.of('/').sockets.values() ?? []) {
      const now = socket.data.token ? ctx.credentials.authenticate(socket.data.token) : null;
      const before = socket.data.principal;
      if (!now || !hasScope(now, 'events:read') || !sameSources(now, before)) socket.disconnect(true);
      else socket.data.principal = now;
    }
  }

  let revocationCheck: { clear(): void } | null = null;
  function checkRevocations(): void {
    recheck();
    revocationCheck = ctx.clock.setTimeout(checkRevocations, config.keepaliveMs);
  }

  return {
    attach(server: HttpServer): void {
      io = new IoServer(server, {
        path: '/socket.io',
        serveClient: false,
        maxHttpBufferSize: 65_536,
        connectionStateRecovery:
          config.recoveryMs > 0 ? { maxDisconnectionDuration: config.recoveryMs, skipMiddlewares: false } : undefined,
      });
      io.use(authenticate);
      // Packets that queued while a write was in flight leave as one write (see tick-cork.ts).
      const corkForTick = createTickCork();
      io.engine.on('flush', (conn: EngineConnection, packets: unknown[]) => {
        if (packets.length > 1 && conn.transport.name === 'websocket') corkForTick(conn.request.socket);
      });
      io.of('/').adapter.on('create-room', (name: string) => rooms.created(name));
      io.of('/').adapter.on('delete-room', (name: string) => rooms.deleted(name));
      io.on('connection', onConnection);
    },
    /** One match per room and one emit (one encoding) for the union of matching rooms. */
    fanOut(event: RelayEvent): void {
      if (!io) return;
      const matched = rooms.matching(event);
      if (matched.length === 0) return;
      io.to(matched).emit('event', event);
      boundCheck(matched);
    },
    recheck,
    get size() {
      return io?.of('/').sockets.size ?? 0;
    },
    closeAll(): void {
      // Not io.close(): that would also close the HTTP server, which the relay closes itself.
      io?.engine.close();
    },
    start(): void {
      revocationCheck = ctx.clock.setTimeout(checkRevocations, config.keepaliveMs);
    },
    stop(): void {
      revocationCheck?.clear();
      rooms.clear();
      io?.of('/').adapter.close();
    },
  };
}
