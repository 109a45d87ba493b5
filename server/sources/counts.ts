import { idFloor } from '../ids.ts';
import type { EventStore } from '../store/types.ts';

export const COUNT_WINDOW_SECONDS = 3600;

export interface SourceCounts {
  window_seconds: number;
  accepted: number;
  rejected: number;
}

/**
 * Webhooks accepted (events stored) and refused (the rejection log) per source over the last hour, from
 * the store, so every instance sharing it shows the same numbers. Refusals are counted from the kept
 * rejection log, so at most `limits.rejections` of them across all sources.
 */
export async function lastHourCounts(
  store: EventStore,
  now: number,
  maxRejections: number,
): Promise<(source: string) => SourceCounts> {
  const since = now - COUNT_WINDOW_SECONDS * 1000;
  const [accepted, rejections] = await Promise.all([
    store.countBySource(idFloor('evt', since)),
    store.listRejections({ limit: maxRejections }),
  ]);
  const rejected: Record<string, number> = {};
  for (const r of rejections) if (Date.parse(r.at) >= since) rejected[r.source] = (rejected[r.source] ?? 0) + 1;
  return (source) => ({ window_seconds: COUNT_WINDOW_SECONDS, accepted: accepted[source] ?? 0, rejected: rejected[source] ?? 0 });
}
