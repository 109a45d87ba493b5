import autocannon from 'autocannon';
import type { SignedMessage } from './messages.ts';

export interface LoadResult {
  label: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
}

/** Sends each message once over `connections` keep-alive connections and summarises what came back. */
export async function runLoad(label: string, url: string, messages: SignedMessage[], connections = 50): Promise<LoadResult> {
  let next = 0;
  const started = performance.now();
  let lastResponse = started;
  const run = autocannon({
    url,
    connections,
    amount: messages.length - connections * 2,
    requests: [
      {
        method: 'POST',
        path: '/hooks/bench',
        // Called once per request (and once per connection up front): every request is a distinct message.
        setupRequest: (request) => {
          const message = messages[next++ % messages.length];
          return { ...request, headers: message.headers, body: message.body };
        },
      },
    ],
  });
  // autocannon ends a run on its next one-second tick; the last response marks when the work was done.
  run.on('response', () => {
    lastResponse = performance.now();
  });
  const result = await run;
  const seconds = (lastResponse - started) / 1000;
  const errors = result.errors + result.timeouts + result.non2xx;
  return {
    label,
    requests: result.requests.total,
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    errors,
  };
}

export function printResult(r: LoadResult): void {
  console.log(
    `${r.label.padEnd(28)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(3)} ms  ` +
      `p99 ${String(r.p99).padStart(3)} ms  2xx ${r.ok}  errors ${r.errors}`,
  );
}
