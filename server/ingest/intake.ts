import type { IncomingHttpHeaders } from 'node:http';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { configSourceLookup, SOURCES, type SourceLookup } from '../sources/registry.ts';
import { ingestConfig } from './config.ts';
import { eventType } from './event-type.ts';
import { requestHeaders } from './headers.ts';
import { parseBody } from './parse-body.ts';
import type { Verifier } from './verifiers/verifier.ts';

export const sourceNotFound = (source: string) =>
  new RelayError('source_not_found', `No source named "${source}" is configured.`);

/** One webhook as read off the wire, from a source that exists. */
export interface ArrivedWebhook {
  source: string;
  verifier: Verifier;
  headers: IncomingHttpHeaders;
  body: Buffer;
  clientIp: string | undefined;
}

export interface Intake {
  /** Config file sources and those made through /v1/sources, looked up per request so changes apply at once. */
  readonly sources: SourceLookup;
  /**
   * Verifies, parses and stores one webhook; resolves with the answer's JSON once the event is durable.
   * Throws coded errors (signature, body, store) for the caller to answer and count as refusals.
   */
  accept(webhook: ArrivedWebhook): Promise<string>;
}

/**
 * What POST /hooks/:source does with a webhook whose body has been read, whichever way it arrived
 * (ingest/direct.ts or the Express route in ingest/routes.ts).
 */
export function createIntake(ctx: RelayContext): Intake {
  const sources = ctx.services.get(SOURCES) ?? configSourceLookup(ctx.config.sources);
  const { metrics, clock } = ctx;
  const { jsonDepth } = ctx.config.limits;
  // A source's own signature header stays, even when named like a credential: it is derived from the
  // secret, not the secret, and receivers may verify it.
  const { redactHeaders } = ingestConfig(ctx.config);
  const redacted = new Map(
    ctx.config.sources.map((s) => {
      const own = s.verify.header?.toLowerCase();
      return [s.name, own && redactHeaders.has(own) ? new Set([...redactHeaders].filter((h) => h !== own)) : redactHeaders];
    }),
  );
  return {
    sources,
    async accept({ source, verifier, headers: arrived, body, clientIp }) {
      const started = performance.now();
      const { all: headers, kept } = requestHeaders(arrived, redacted.get(source));
      const { providerId, scheme } = verifier.verify({ headers, body, now: clock.now() });
      const contentType = headers['content-type'] ?? 'application/octet-stream';
      const { payload, json } = parseBody(body, contentType, jsonDepth);
      const writeStarted = performance.now();
      const { event, duplicate } = await ctx.eventService.record({
        source,
        type: eventType(headers, payload),
        provider_id: providerId,
        headers: kept,
        payload,
        payload_json: json,
        verified: { scheme },
        raw: body,
        content_type: contentType,
        client_ip: clientIp,
      });
      const done = performance.now();
      metrics.storeWriteSeconds.observe((done - writeStarted) / 1000);
      metrics.ingest.inc({ source, outcome: duplicate ? 'duplicate' : 'accepted' });
      metrics.ingestSeconds.observe({ source }, (done - started) / 1000);
      return JSON.stringify({ id: event.id, duplicate });
    },
  };
}
