import { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

/**
 * The chunks of a streamed chat completion, read from the raw HTTP response. The openai SDK's own
 * stream reader allocates several copies of every event (byte concatenation, sub-arrays, a line
 * decoder, per-line strings); at hundreds of events per response that churn, not live data, set the
 * relay's peak memory. This reader keeps one decoded string per network read and splits it into lines
 * in place. Same semantics as the SDK for chat completions: `data: [DONE]` ends the stream, a payload
 * with an `error` field throws an APIError, other events are parsed as JSON.
 */
export async function* chatChunks(response: globalThis.Response): AsyncGenerator<ChatCompletionChunk> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let text = '';
  let data: string[] = [];
  let done = false;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      text += ended ? decoder.decode() : decoder.decode(value, { stream: true });
      if (ended) text += '\n\n';
      let start = 0;
      for (;;) {
        const nl = nextLineEnd(text, start);
        if (nl < 0) break;
        const line = text.slice(start, nl);
        start = nl + (text.charCodeAt(nl) === 13 && text.charCodeAt(nl + 1) === 10 ? 2 : 1);
        if (line === '') {
          if (data.length === 0) continue;
          const payload = data.length === 1 ? (data[0] as string) : data.join('\n');
          data = [];
          if (done) continue;
          if (payload.startsWith('[DONE]')) {
            done = true;
            continue;
          }
          const chunk = JSON.parse(payload);
          if (chunk?.error) throw new APIError(undefined, chunk.error, undefined, response.headers);
          yield chunk as ChatCompletionChunk;
        } else if (line.startsWith('data:')) {
          data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
        }
        // `event:`, `id:`, `retry:` and comments do not change a chat completion stream.
      }
      text = start === 0 ? text : text.slice(start);
      if (ended) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function nextLineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return i;
    // A lone CR ends a line; a CR at the very end may be the first half of CRLF, so wait for more.
    if (c === 13) return i + 1 < text.length ? i : -1;
  }
  return -1;
}
