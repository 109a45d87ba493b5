import type OpenAI from 'openai';
import type { ObjectKind } from './enrichment-store.ts';

/** What an OpenAI webhook names: the kind of object and its id (`data.id`), if the type is one we fetch. */
export function namedObject(type: string, payload: unknown): { kind: ObjectKind; id: string } | null {
  const id = (payload as { data?: { id?: unknown } } | null)?.data?.id;
  if (typeof id !== 'string' || id === '') return null;
  if (type.startsWith('response.')) return { kind: 'response', id };
  if (type.startsWith('batch.')) return { kind: 'batch', id };
  if (type.startsWith('fine_tuning.job.')) return { kind: 'fine_tuning.job', id };
  // eval.run.* names a run without its eval id, so there is nothing to retrieve it by.
  return null;
}

/**
 * GET /responses/:id, /batches/:id or /fine_tuning/jobs/:id through the SDK (which retries). The body is
 * kept as the upstream sent it: the SDK's parsed objects add convenience fields such as output_text.
 */
export async function retrieveObject(client: OpenAI, kind: ObjectKind, id: string, signal: AbortSignal): Promise<unknown> {
  const request = () => {
    switch (kind) {
      case 'response':
        return client.responses.retrieve(id, {}, { signal });
      case 'batch':
        return client.batches.retrieve(id, { signal });
      case 'fine_tuning.job':
        return client.fineTuning.jobs.retrieve(id, { signal });
    }
  };
  const response = await request().asResponse();
  return await response.json();
}
