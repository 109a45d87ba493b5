import type { ServerResponse } from 'node:http';
import type { FakeOpenAI } from './fake-openai.ts';

// Additions to the shared fake upstream (fake-openai.ts) for enrichment and batch tests, made through
// its route() and behaviourFor extension points.

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export interface ObjectRoutes {
  /** id → object served by GET /v1/responses/:id and GET /v1/batches/:id (404 when absent). */
  objects: Map<string, unknown>;
  /** path → how many more GETs of it answer 500 (with retry-after-ms: 1, so SDK retries are quick). */
  failures: Map<string, number>;
  /** Parks every GET until release(). */
  hold(): void;
  release(): void;
  readonly parked: number;
}

export function serveObjects(fake: FakeOpenAI): ObjectRoutes {
  const objects = new Map<string, unknown>();
  const failures = new Map<string, number>();
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let parked = 0;
  fake.route('GET', /^\/v1\/(responses|batches)\/([^/?]+)/, async (_req, res, _body, match) => {
    const path = match[0];
    const failing = failures.get(path) ?? 0;
    if (failing > 0) {
      failures.set(path, failing - 1);
      return send(res, 500, { error: { message: 'try again', type: 'server_error' } }, { 'retry-after-ms': '1' });
    }
    if (gate) {
      parked++;
      await gate.promise;
      parked--;
    }
    const id = match[2] as string;
    if (!objects.has(id)) return send(res, 404, { error: { message: `No such object: ${id}`, type: 'invalid_request_error' } });
    send(res, 200, objects.get(id), { 'x-request-id': `req_get_${id}` });
  });
  return {
    objects,
    failures,
    hold() {
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate ??= { promise, open };
    },
    release() {
      gate?.open();
      gate = null;
    },
    get parked() {
      return parked;
    },
  };
}

export interface LineControl {
  /**
   * Lets the next `n` chat completions through, then parks the rest until release(). Which lines pass
   * is the order their requests arrive in: with several lines in flight, not necessarily line order.
   */
  holdAfter(n: number): void;
  /**
   * Parks the chat completions of line `n` and every later line (by the number inputLines() puts in
   * each line's content) until release(), whatever order their requests arrive in.
   */
  holdFrom(n: number): void;
  release(): void;
  /** Chat completions parked right now. */
  readonly parked: number;
}

/** The line number inputLines() writes into a line's content (`hello 7`, `FAIL 7`), or null. */
const lineNumberOf = (messages: unknown): number | null => {
  const match = /(?:hello|FAIL) (\d+)/.exec(JSON.stringify(messages));
  return match ? Number(match[1]) : null;
};

/** Chat completion lines: content containing FAIL answers 400; holdAfter() and holdFrom() park requests. */
export function controlLines(fake: FakeOpenAI): LineControl {
  let passes = Number.POSITIVE_INFINITY;
  let heldFrom = Number.POSITIVE_INFINITY;
  fake.behaviourFor = (body) => {
    if (JSON.stringify(body.messages).includes('FAIL')) return { failStatus: 400 };
    if ((lineNumberOf(body.messages) ?? 0) >= heldFrom) return { pauseAfter: 0 };
    if (passes !== Number.POSITIVE_INFINITY && passes-- <= 0) return { pauseAfter: 0 };
    return undefined;
  };
  return {
    holdAfter(n) {
      passes = n;
    },
    holdFrom(n) {
      heldFrom = n;
    },
    release() {
      passes = Number.POSITIVE_INFINITY;
      heldFrom = Number.POSITIVE_INFINITY;
      fake.release();
    },
    get parked() {
      return fake.requests.filter((r) => r.paused).length;
    },
  };
}
