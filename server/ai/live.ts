import type { Clock } from '../clock.ts';
import type { ResponseStore } from './response-store.ts';
import { tailStored } from './tail.ts';
import {
  type CompactEvent,
  frameOf,
  isPlainDelta,
  type StoredFrame,
  type StreamEvent,
  type StreamSink,
} from './stream-events.ts';

/**
 * The stream events of one running response: numbers them, stores them in batches (one write in
 * flight per response; events that arrive meanwhile join the next write) and hands each batch to live
 * readers only once stored, so whatever a reader saw can be replayed after a crash.
 */
export class LiveResponse {
  readonly id: string;
  #store: ResponseStore;
  #next: number;
  /** Queued for the next write, already compact: a delta waiting on a disk write is just its text. */
  #pending: CompactEvent[] = [];
  #pendingItem: string | null = null;
  /** Sequence number of #pending[0]. */
  #pendingFirst: number;
  #flushing: Promise<void> | null = null;
  #sinks = new Set<StreamSink>();
  #ending = false;
  #closed = false;
  #onError: (error: unknown) => void;

  constructor(id: string, store: ResponseStore, onError: (error: unknown) => void) {
    this.id = id;
    this.#store = store;
    this.#next = store.eventCount(id);
    this.#pendingFirst = this.#next;
    this.#onError = onError;
  }

  /** True once the terminal event is stored and every reader was ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Numbers and queues one event; `type` comes first in the JSON so readers can label the SSE frame cheaply. */
  emit(event: StreamEvent): void {
    if (isPlainDelta(event)) this.emitDelta(event.item_id as string, event.delta as string);
    else this.#push(event);
  }

  /** A text delta of the message item, queued without building its event object. */
  emitDelta(itemId: string, delta: string): void {
    if (this.#pendingItem !== null && this.#pendingItem !== itemId) {
      this.#push({ type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] });
      return;
    }
    this.#pendingItem = itemId;
    this.#push(delta);
  }

  #push(event: CompactEvent): void {
    if (this.#ending) return;
    this.#next++;
    this.#pending.push(event);
    this.#flushing ??= this.#flush();
  }

  /** Emits the terminal event; resolves once it is stored and delivered. */
  async end(event: StreamEvent): Promise<void> {
    this.emit(event);
    this.#ending = true;
    this.#flushing ??= this.#flush();
    await this.#flushing;
  }

  subscribe(sink: StreamSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const run = { item_id: this.#pendingItem, events: this.#pending };
        this.#pending = [];
        this.#pendingItem = null;
        const first = this.#pendingFirst;
        this.#pendingFirst += run.events.length;
        try {
          await this.#store.appendEvents(this.id, first, run);
        } catch (error) {
          this.#onError(error);
        }
        if (this.#sinks.size === 0) continue;
        // Encoded once, written to every reader.
        const frames = run.events.map((e, k) => ({ seq: first + k, frame: frameOf(e, first + k, run.item_id) }));
        for (const sink of this.#sinks) sink.write(frames);
      }
      if (this.#ending) {
        this.#closed = true;
        for (const sink of this.#sinks) sink.end();
        this.#sinks.clear();
      }
    } finally {
      this.#flushing = null;
    }
  }
}

/**
 * Replays stored events after `after`, then follows the response until its end, each event exactly
 * once. A response running here: the reader subscribes to it first and drops what the stored replay
 * already covered. One running on another instance (or none): the reader tails the stored events.
 */
export function followResponse(
  store: ResponseStore,
  live: LiveResponse | undefined,
  id: string,
  after: number,
  sink: StreamSink,
  clock: Clock,
): () => void {
  if (!live || live.closed) return tailStored(store, id, after, sink, clock);
  let last = after;
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      sink.end();
    }
  };
  const deliver = (frames: StoredFrame[]) => {
    const fresh = frames.filter((f) => f.seq > last);
    if (fresh.length === 0) return;
    last = (fresh.at(-1) as StoredFrame).seq;
    sink.write(fresh);
  };
  const unsubscribe = live.subscribe({ write: deliver, end });
  deliver(store.eventsAfter(id, after));
  return unsubscribe;
}
