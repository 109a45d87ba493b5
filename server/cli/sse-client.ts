// A small SSE reader over fetch for the CLI (the browser and tests use EventSource implementations).

export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

export interface SseHandlers {
  /** May return a promise: reading waits for it, so a slow consumer holds the stream back (bounded by the relay). */
  onMessage(message: SseMessage): void | Promise<void>;
  onRetry(ms: number): void;
}

/** Parses one frame's lines (per the HTML spec's event stream interpretation, minus the edge cases we never send). */
export function parseFrame(frame: string, handlers: Pick<SseHandlers, 'onRetry'>): SseMessage | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry(Number(value));
  }
  return data.length > 0 ? { event, data: data.join('\n'), id } : null;
}

/** Reads frames from a response body until it ends or the signal aborts. */
export async function readFrames(body: ReadableStream<Uint8Array>, handlers: SseHandlers): Promise<void> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true }).replaceAll('\r\n', '\n');
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      const message = parseFrame(text.slice(0, end), handlers);
      text = text.slice(end + 2);
      if (message) await handlers.onMessage(message);
      end = text.indexOf('\n\n');
    }
  }
}
