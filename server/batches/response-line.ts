import { toHttpProblem } from '../http/errors.ts';
import type { OutputLine, RequestLine, ResponsesRunner } from './types.ts';

/**
 * A `/v1/responses` line, run by the Responses service at low priority: the same translation to the
 * upstream's chat completions as `POST /v1/responses` (tools, text formats, reasoning...), with its own
 * retries. A request the service refuses is a failed line with the 400 answer the route would give.
 */
export async function runResponseLine(
  responses: ResponsesRunner,
  request: RequestLine,
  base: { id: string; custom_id: string },
  signal: AbortSignal,
): Promise<{ outcome: 'completed' | 'failed'; output: OutputLine }> {
  let id: string;
  try {
    id = (await responses.create({ ...request.body, priority: 'low' })).id;
  } catch (error) {
    if (signal.aborted) throw error;
    const e = toHttpProblem(error);
    const body = { error: { message: e.message, type: 'invalid_request_error', param: null, code: e.code, ...e.details } };
    return { outcome: 'failed', output: { ...base, response: { status_code: e.status, request_id: null, body }, error: null } };
  }
  const stop = () => void responses.cancel(id).catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  try {
    const response = await responses.waitForTerminal(id);
    if (signal.aborted) throw signal.reason;
    const answer = { ...base, response: { status_code: 200, request_id: id, body: response }, error: null };
    // A failed or cancelled response goes to the error file with its object (its `error` says why).
    const ok = response.status === 'completed' || response.status === 'incomplete';
    return { outcome: ok ? 'completed' : 'failed', output: answer };
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
