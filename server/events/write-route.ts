import type { HttpMount } from '../http/mount.ts';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { canReadSource } from '../principals.ts';

interface EventInput {
  source: string;
  type: string;
  payload: unknown;
  id: string | null;
}

const invalid = (param: string, message: string) => new RelayError('invalid_request', message, { param });

function parseEventInput(body: unknown): EventInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RelayError('invalid_request', 'The body must be a JSON object: {source, type, payload, id?}.');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.source !== 'string' || b.source === '') throw invalid('source', '"source" must be the name of a source.');
  if (typeof b.type !== 'string' || b.type === '' || b.type.length > 200) {
    throw invalid('type', '"type" must be a non-empty string (at most 200 characters).');
  }
  if (!('payload' in b) || b.payload === undefined) throw invalid('payload', '"payload" is required (any JSON value).');
  const id = b.id ?? null;
  if (id !== null && (typeof id !== 'string' || id === '' || id.length > 255)) {
    throw invalid('id', '"id" must be a string of 1 to 255 characters (the de-duplication key).');
  }
  return { source: b.source, type: b.type, payload: b.payload, id };
}

/**
 * POST /v1/events: an `events:write` key sends an event in without a provider signature (n8n and
 * similar tools). Stored as `verified: {scheme: "api"}` with the key's id in `x-hookrelay-key`, then
 * published like any ingested event; a repeated `id` in the same source is a duplicate.
 */
export function eventWriteRoute({ v1, auth }: HttpMount, ctx: RelayContext, sourceExists: (name: string) => boolean): void {
  v1.post('/events', auth.require('events:write'), async (req, res) => {
    const input = parseEventInput(req.body);
    const principal = principalOf(res);
    if (!canReadSource(principal, input.source)) {
      throw new RelayError('forbidden', `This key may not write to source "${input.source}".`);
    }
    if (!sourceExists(input.source)) throw new RelayError('source_not_found', `No source named "${input.source}".`);
    const raw = Buffer.from(JSON.stringify(input.payload));
    const { event, duplicate } = await ctx.eventService.record({
      source: input.source,
      type: input.type,
      provider_id: input.id,
      headers: { 'content-type': 'application/json', 'x-hookrelay-key': principal.keyId ?? 'admin' },
      payload: input.payload,
      verified: { scheme: 'api' },
      raw,
      content_type: 'application/json',
    });
    ctx.metrics.ingest.inc({ source: input.source, outcome: duplicate ? 'duplicate' : 'accepted' });
    res.status(duplicate ? 200 : 201).json({ ...event, duplicate });
  });
}
