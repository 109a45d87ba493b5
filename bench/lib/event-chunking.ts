/**
 * The openai SDK's SSE reader appends each network chunk to its buffer and copies the remainder after
 * every event it cuts off, so a chunk that holds hundreds of events (a fast upstream) costs quadratic
 * copying. Handing it one event per chunk keeps that linear. This fetch wrapper re-chunks
 * `text/event-stream` bodies at blank lines (views, no copies) and leaves everything else alone.
 */
export function eventChunkingFetch(fetchImpl: typeof fetch): typeof fetch {
  return async function fetchWithEventChunks(input, init) {
    const res = await fetchImpl(input, init);
    if (!res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) return res;
    return new Response(res.body.pipeThrough(splitAtEvents()), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

const LF = 10;

function splitAtEvents(): TransformStream<Uint8Array, Uint8Array> {
  let carry: Uint8Array | null = null;
  return new TransformStream({
    transform(chunk, controller) {
      let bytes = chunk;
      if (carry) {
        bytes = new Uint8Array(carry.length + chunk.length);
        bytes.set(carry);
        bytes.set(chunk, carry.length);
        carry = null;
      }
      let start = 0;
      for (let i = 1; i < bytes.length; i++) {
        if (bytes[i] === LF && bytes[i - 1] === LF) {
          controller.enqueue(bytes.subarray(start, i + 1));
          start = i + 1;
        }
      }
      if (start < bytes.length) carry = bytes.slice(start);
    },
    flush(controller) {
      if (carry) controller.enqueue(carry);
    },
  });
}
