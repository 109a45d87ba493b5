import type { Response as HttpResponse } from 'express';
import type { StoredFrame, StreamSink } from './stream-events.ts';

/** A reader this far behind is cut off; it resumes with starting_after (style: every subscriber has a bound). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

/** The SSE frame of a stored event: its type is the first JSON key, so no parsing is needed. */
function sseFrame({ frame }: StoredFrame): string {
  const type = frame.slice(9, frame.indexOf('"', 9));
  return `event: ${type}\ndata: ${frame}\n\n`;
}

/**
 * Streams Responses events to one HTTP client. `follow` wires the sink to the stored and live events
 * and returns how to stop; `onClose` runs when the client goes away before the end.
 */
export function streamEvents(
  res: HttpResponse,
  follow: (sink: StreamSink) => () => void,
  options: { onClose?: () => void; open: Set<() => void> },
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  let done = false;
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const stop = () => {
    done = true;
    clearInterval(keepalive);
    options.open.delete(endNow);
    unfollow?.();
  };
  // On shutdown the relay ends open streams; readers resume with starting_after.
  const endNow = () => {
    if (done) return;
    stop();
    res.end();
  };
  options.open.add(endNow);
  let unfollow: (() => void) | undefined;
  res.on('close', () => {
    if (done) return;
    stop();
    options.onClose?.();
  });
  unfollow = follow({
    write(frames) {
      if (done) return;
      res.write(frames.map(sseFrame).join(''));
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
    },
    end() {
      if (done) return;
      stop();
      res.end();
    },
  });
  if (done) unfollow();
}
