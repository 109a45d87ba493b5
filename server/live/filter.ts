import { isGlob } from '../../ui/lib/glob.js';
import { RelayError } from '../errors.ts';
import { canReadSource, type Principal } from '../principals.ts';
import { anyTypeMatches, typeMatches } from '../store/match.ts';
import type { EventQuery, RelayEvent } from '../store/types.ts';

/** What one subscriber asked for, already narrowed to what its token may read. */
export interface StreamFilter {
  principal: Principal;
  /** Source names or globs (`github*`); null = every source the token may read. */
  sources: string[] | null;
  /** Type names or globs such as `response.*`; null = every type. */
  types: string[] | null;
}

const EVENT_ID = /^evt_[0-9a-z]{22}$/;
const MAX_PATTERNS = 50;

export function filterMatches(filter: StreamFilter, event: RelayEvent): boolean {
  if (!canReadSource(filter.principal, event.source)) return false;
  if (filter.sources && !filter.sources.some((p) => typeMatches(p, event.source))) return false;
  return anyTypeMatches(filter.types ?? undefined, event.type);
}

/** A comma-separated query value (or a list from Socket.IO) as patterns; empty means no filter. */
export function patternList(value: unknown, name: string): string[] | null {
  if (value === undefined || value === null || value === '') return null;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    throw new RelayError('invalid_request', `"${name}" must be a list of names (or globs such as github*).`);
  }
  const patterns = list.map((p) => p.trim()).filter((p) => p !== '');
  if (patterns.length > MAX_PATTERNS)
    throw new RelayError('invalid_request', `"${name}" takes at most ${MAX_PATTERNS} patterns.`);
  return patterns.length > 0 ? patterns : null;
}

/** Builds a filter; naming a source the token may not read is refused rather than silently empty. */
export function streamFilter(principal: Principal, sources: unknown, types: unknown): StreamFilter {
  const sourceList = patternList(sources, 'sources');
  for (const source of sourceList ?? []) {
    if (!isGlob(source) && !canReadSource(principal, source)) {
      throw new RelayError('forbidden', `This token may not read source "${source}".`);
    }
  }
  return { principal, sources: sourceList, types: patternList(types, 'types') };
}

/** A resume cursor is an event id; anything else is refused so a typo does not silently replay everything. */
export function parseCursor(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !EVENT_ID.test(value)) {
    throw new RelayError('invalid_request', `"${name}" must be an event id such as "evt_01j…" (the id of the last event seen).`);
  }
  return value;
}

/** The store query a backlog page can use: the store filters only when the filter is one exact source and type. */
export function storeQuery(filter: StreamFilter): Pick<EventQuery, 'source' | 'type'> {
  const one = (list: string[] | null) => (list?.length === 1 && !isGlob(list[0]) ? list[0] : undefined);
  const type = filter.types?.length === 1 ? filter.types[0] : undefined;
  return { source: one(filter.sources), type };
}
