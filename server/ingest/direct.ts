import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from '../http/security-headers.ts';
import { type Intake, sourceNotFound } from './intake.ts';

/** A refusal met on the direct path, carried to the Express route that answers it. */
const REFUSAL = Symbol('hookrelay.ingestRefusal');
type Refused = IncomingMessage & { [REFUSAL]?: { error: unknown } };

export interface DirectIngestOptions {
  intake: Intake;
  /** limits.bodyBytes */
  bodyLimit: number;
  /** The stream guard every request gets (http/stream-errors.ts). */
  guard: (req: IncomingMessage, res: ServerResponse) => void;
  /** The client address as the Express app computes `req.ip` (its trust proxy setting). */
  clientIp: (req: IncomingMessage) => string | undefined;
  /** The Express app: it answers every refusal, on its POST /hooks/:source route (ingest/routes.ts). */
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * POST /hooks/:source without the Express router: the webhooks every provider sends (a known source,
 * a declared length within the limit, no content encoding) are read, accepted and answered here, at
 * about a quarter less CPU per request (docs/benchmarks-history.md). Returns false, having touched
 * nothing, for every other request: the Express app handles those as before, and anything odd
 * about a webhook (a query string, a trailing slash, an unknown source, a chunked, compressed or
 * oversized body) takes its route. A webhook refused after its body was read is handed to the app
 * too, marked, so every refusal is answered, counted and logged in one place.
 */
export function directIngest(options: DirectIngestOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { intake, bodyLimit, guard, clientIp, fallback } = options;
  return function ingestDirect(req, res) {
    const url = req.url;
    if (req.method !== 'POST' || url === undefined || !url.startsWith('/hooks/')) return false;
    const source = url.slice('/hooks/'.length);
    // Source names are plain characters ([A-Za-z0-9_.-]), so a name found is the whole path, undecoded.
    if (!intake.sources.verifier(source)) return false;
    const { headers } = req;
    if (headers['content-encoding'] !== undefined) return false;
    const declared = headers['content-length'];
    if (declared === undefined || !(Number(declared) <= bodyLimit)) return false;
    guard(req, res);
    const refuse = (error: unknown) => {
      (req as Refused)[REFUSAL] = { error };
      fallback(req, res);
    };
    readBody(req, (error, body) => {
      if (error) return refuse(error);
      // Looked up again, as on the Express route: deleted or changed while its body was arriving.
      const verifier = intake.sources.verifier(source);
      if (!verifier) return refuse(sourceNotFound(source));
      intake
        .accept({ source, verifier, headers, body, clientIp: clientIp(req) })
        .then((answer) => sendAnswer(res, answer))
        .catch(refuse);
    });
    return true;
  };
}

/** The refusal the direct path met for this request, if it met one. */
export function directRefusal(req: IncomingMessage): { error: unknown } | undefined {
  return (req as Refused)[REFUSAL];
}

/**
 * The answer every webhook waits for, written directly: res.json() would also hash it for an ETag
 * (a POST's answer is never revalidated) and look its type up again, on the hottest route.
 */
export function sendAnswer(res: ServerResponse, answer: string): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(answer),
  });
  res.end(answer);
}

/**
 * The whole body (its declared length was checked against the limit; the HTTP parser delivers no
 * more than that). A request that closes before its end is refused as body-parser refuses it.
 */
function readBody(req: IncomingMessage, done: (error: unknown, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let settled = false;
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    settled = true;
    done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
  req.on('close', () => {
    if (settled) return;
    settled = true;
    done(Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400 }), Buffer.alloc(0));
  });
}
