import { type CompactEvent, type CompactRun, frameOf, type StoredFrame, type StreamEvent } from './stream-events.ts';

/**
 * A run of stored events. `texts` lists the events (indices into `events`) stored without the message
 * text they repeat: the closing events (output_text.done, content_part.done, output_item.done and the
 * terminal response event) each carry the whole text, four copies per response that would be written
 * to disk and kept in memory for the retention period. The text is the item's deltas joined, so it is
 * left out ("" in its place) and put back from the stored deltas when the stream is replayed.
 */
export interface StoredRun extends CompactRun {
  first: number;
  texts?: number[];
}

type Path = readonly (string | number)[];

/** Where an event repeats a message's text, and which message it is. */
function textSlot(event: StreamEvent): { itemId: unknown; path: Path } | undefined {
  switch (event.type) {
    case 'response.output_text.done':
      return { itemId: event.item_id, path: ['text'] };
    case 'response.content_part.done':
      return { itemId: event.item_id, path: ['part', 'text'] };
    case 'response.output_item.done':
      return { itemId: (event.item as { id?: unknown } | undefined)?.id, path: ['item', 'content', 0, 'text'] };
  }
  const output = (event.response as { output?: Array<{ id?: unknown }> } | undefined)?.output;
  if (!Array.isArray(output) || output.length !== 1) return undefined;
  return { itemId: output[0]?.id, path: ['response', 'output', 0, 'content', 0, 'text'] };
}

function valueAt(value: unknown, path: Path): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

/** A copy of `value` with `text` at `path`, sharing everything off the path (key order kept). */
function withValueAt(value: unknown, path: Path, text: string): unknown {
  if (path.length === 0) return text;
  const [key, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) {
    const copy = value.slice();
    copy[key as number] = withValueAt(value[key as number], rest, text);
    return copy;
  }
  const record = value as Record<string, unknown>;
  return { ...record, [key]: withValueAt(record[key], rest, text) };
}

/** The text of each message item so far, from its deltas in stream order. */
class ItemTexts {
  #parts = new Map<string, string[]>();

  see(event: CompactEvent, runItem: string | null): void {
    if (typeof event === 'string') {
      if (runItem !== null) this.#add(runItem, event);
    } else if (
      event.type === 'response.output_text.delta' &&
      event.content_index === 0 &&
      typeof event.item_id === 'string' &&
      typeof event.delta === 'string'
    ) {
      this.#add(event.item_id, event.delta);
    }
  }

  textOf(itemId: unknown): string | undefined {
    return typeof itemId === 'string' ? this.#parts.get(itemId)?.join('') : undefined;
  }

  #add(itemId: string, text: string): void {
    const parts = this.#parts.get(itemId);
    if (parts) parts.push(text);
    else this.#parts.set(itemId, [text]);
  }
}

/**
 * Visits each stored event once, in sequence order: chunks overlap after a merge that was interrupted
 * before its deletes, and the later copies are skipped. Events up to `after` are not visited.
 */
function eachEvent(
  runs: readonly StoredRun[],
  visit: (seq: number, event: CompactEvent, run: StoredRun, k: number) => void,
  after = -1,
): void {
  let last = after;
  for (const run of runs) {
    const end = run.first + run.events.length - 1;
    for (let k = Math.max(0, last + 1 - run.first); k < run.events.length; k++)
      visit(run.first + k, run.events[k] as CompactEvent, run, k);
    last = Math.max(last, end);
  }
}

/**
 * The run as it is stored: closing events whose text is exactly their item's deltas so far (in the
 * stored runs before it and earlier in this run) lose that text. Anything else is kept whole, so a
 * replay is byte for byte the live stream. Never changes `run`: live readers are sent its full events.
 */
export function compactRun(before: () => readonly StoredRun[], first: number, run: CompactRun): StoredRun {
  const slots = run.events.map((e) => (typeof e === 'string' ? undefined : textSlot(e)));
  if (slots.every((s) => s === undefined)) return { first, ...run };
  const texts = new ItemTexts();
  const events = run.events.slice();
  const compacted: number[] = [];
  const self: StoredRun = { first, ...run };
  eachEvent([...before(), self], (_seq, event, stored, k) => {
    texts.see(event, stored.item_id);
    const slot = stored === self ? slots[k] : undefined;
    if (!slot) return;
    const text = texts.textOf(slot.itemId);
    if (!text || valueAt(event, slot.path) !== text) return;
    events[k] = withValueAt(event, slot.path, '') as StreamEvent;
    compacted.push(k);
  });
  return compacted.length === 0 ? self : { first, item_id: run.item_id, events, texts: compacted };
}

/** The stored events after sequence number `after` as frames, the left-out texts put back. */
export function framesAfter(runs: readonly StoredRun[], after: number): StoredFrame[] {
  const out: StoredFrame[] = [];
  const texts = runs.some((r) => r.texts) ? new ItemTexts() : undefined;
  // Without left-out texts, the events up to `after` are not even looked at.
  const from = texts ? -1 : after;
  eachEvent(
    runs,
    (seq, event, run, k) => {
      texts?.see(event, run.item_id);
      if (seq <= after) return;
      let full = event;
      if (texts && typeof event !== 'string' && run.texts?.includes(k)) {
        const slot = textSlot(event);
        const text = slot && texts.textOf(slot.itemId);
        if (slot && text) full = withValueAt(event, slot.path, text) as StreamEvent;
      }
      out.push({ seq, frame: frameOf(full, seq, run.item_id) });
    },
    from,
  );
  return out;
}

/** Consecutive runs as one, for merging a finished stream's chunks. */
export function mergeRuns(runs: readonly StoredRun[], itemId: string | null): StoredRun {
  const events: CompactEvent[] = [];
  const texts: number[] = [];
  eachEvent(runs, (_seq, event, run, k) => {
    if (run.texts?.includes(k)) texts.push(events.length);
    events.push(event);
  });
  const first = runs[0]?.first ?? 0;
  return texts.length > 0 ? { first, item_id: itemId, events, texts } : { first, item_id: itemId, events };
}
