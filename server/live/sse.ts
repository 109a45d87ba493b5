import type { Request, Response } from 'express';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { bearerOrQuery, principalOf } from '../http/auth.ts';
import { hasScope } from '../principals.ts';
import type { RelayEvent } from '../store/types.ts';
import type { StreamConfig } from './config.ts';
import { filterMatches, parseCursor, type StreamFilter, streamFilter } from './filter.ts';
import type { LiveMetrics } from './metrics.ts';
import { replayThenGoLive } from './replay.ts';
import { eventFrame, gapFrame, KEEPALIVE, retryFrame } from './sse-frames.ts';
import { createTickCork } from './tick-cork.ts';

interface SseStream {
  filter: StreamFilter;
  res: Response;
  /** False while the backlog replays: live frames go through catchUp's pending set instead. */
  live: boolean;
  /** The credential the stream was opened with, checked again whenever credentials change. */
  token: string | null;
}

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Stops nginx and similar proxies from holding frames back.
  'x-accel-buffering': 'no',
};

/** Resolves when the response can take more bytes, or when it closed. */
function drained(res: Response): Promise<void> {
  if (!res.writableNeedDrain || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** GET /v1/events/stream: live events as server-sent events, with resume by cursor and a bounded buffer per stream. */
export function createSseHub(ctx: RelayContext, config: StreamConfig, metrics: LiveMetrics, slots: () => boolean) {
  const streams = new Set<SseStream>();
  const corkForTick = createTickCork();
  const replaySource = { store: ctx.storage.events, bus: ctx.bus, config };
  let keepalive: { clear(): void } | null = null;

  /** Writes a shared frame unless the stream already holds more unsent bytes than its bound allows. */
  function send(stream: SseStream, frame: Buffer): void {
    const { res } = stream;
    if (res.destroyed) return;
    if (res.writableLength > config.maxBufferBytes) {
      metrics.cut.inc({ transport: 'sse' });
      ctx.logger.warn({ buffered: res.writableLength, limit: config.maxBufferBytes }, 'SSE subscriber fell behind: disconnected');
      res.destroy();
      return;
    }
    // The connection, not the response: a corked response keeps its chunks and, when uncorked, writes the
    // chunk's length, the frame and the line ends one system call each; on a corked connection they all
    // leave in one.
    if (res.socket) corkForTick(res.socket);
    res.write(frame);
  }

  function fanOut(event: RelayEvent): void {
    let frame: Buffer | null = null;
    for (const stream of streams) {
      if (!stream.live || !filterMatches(stream.filter, event)) continue;
      frame ??= eventFrame(event);
      send(stream, frame);
    }
  }

  /**
   * Ends the streams whose credential was revoked or lost `events:read`, and narrows the others to
   * the sources their credential now allows (issue 14 item 12: at once, not at the next keepalive).
   */
  function recheck(): void {
    for (const stream of streams) {
      const principal = stream.token === null ? null : ctx.credentials.authenticate(stream.token);
      if (!principal || !hasScope(principal, 'events:read')) {
        streams.delete(stream);
        stream.res.end();
      } else {
        stream.filter = { ...stream.filter, principal };
      }
    }
  }

  function scheduleKeepalive(): void {
    keepalive = ctx.clock.setTimeout(() => {
      recheck();
      for (const stream of streams) send(stream, KEEPALIVE);
      scheduleKeepalive();
    }, config.keepaliveMs);
  }

  async function replay(stream: SseStream, after: string): Promise<void> {
    await replayThenGoLive(replaySource, stream.filter, after, {
      gap: (gap) => stream.res.write(gapFrame(gap)),
      async replay(event) {
        if (!stream.res.write(eventFrame(event))) await drained(stream.res);
      },
      closed: () => stream.res.destroyed,
      goLive(pending) {
        for (const event of pending) send(stream, eventFrame(event));
        stream.live = true;
      },
    });
  }

  async function open(req: Request, res: Response): Promise<void> {
    const principal = principalOf(res);
    const filter = streamFilter(principal, req.query.source, req.query.type);
    const after = parseCursor(req.get('last-event-id'), 'Last-Event-ID') ?? parseCursor(req.query.after, 'after');
    if (!slots())
      throw new RelayError('too_many_subscribers', `The relay already serves ${config.maxSubscribers} live subscribers.`);
    res.writeHead(200, HEADERS);
    res.write(retryFrame(config.retryMs));
    req.socket.setNoDelay(true);
    const token = bearerOrQuery(req) ?? null;
    const stream: SseStream = { filter, res, live: after === undefined, token };
    streams.add(stream);
    metrics.subscribers.inc({ transport: 'sse' });
    res.on('close', () => {
      streams.delete(stream);
      metrics.subscribers.dec({ transport: 'sse' });
    });
    if (after === undefined) return;
    try {
      await replay(stream, after);
    } catch (err) {
      ctx.logger.error({ err }, 'SSE replay failed: closing the stream so the client resumes');
      res.destroy();
    }
  }

  return {
    open,
    fanOut,
    recheck,
    get size() {
      return streams.size;
    },
    start(): void {
      scheduleKeepalive();
    },
    /** Ends every stream so the HTTP server can close; clients reconnect and resume elsewhere or later. */
    closeAll(): void {
      keepalive?.clear();
      for (const stream of streams) {
        const socket = stream.res.socket;
        stream.res.end();
        // A kept-alive (or half-open) connection would otherwise hold the closing server open until its drain timeout.
        socket?.end(() => socket.destroy());
      }
    },
  };
}

export type SseHub = ReturnType<typeof createSseHub>;
