import type { LiveResponse } from './live.ts';
import { type ItemState, itemsFromEvents, type OutputState, outputOf } from './output-items.ts';
import { isTerminal, type Response } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';

/** A response that is queued or running in this process. */
export class Run implements OutputState {
  row: ResponseRow;
  readonly live: LiveResponse;
  readonly controller = new AbortController();
  readonly newItemId: (prefix: string) => string;
  items: ItemState[] = [];
  stopped = false;
  cancelRequested = false;
  timedOut = false;
  readonly settled: Promise<Response>;
  settle!: (response: Response) => void;

  constructor(row: ResponseRow, live: LiveResponse, newItemId: (prefix: string) => string) {
    this.row = row;
    this.live = live;
    this.newItemId = newItemId;
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** The Response as a reader should see it now, with the output streamed so far. */
  snapshot(patch: Partial<Response> = {}): Response {
    const status = patch.status ?? this.row.response.status;
    const itemStatus =
      status === 'completed' ? 'completed' : status === 'in_progress' || status === 'queued' ? 'in_progress' : 'incomplete';
    return { ...this.row.response, output: outputOf(this.items, itemStatus), ...patch } as Response;
  }
}

/** What a stored stream already holds: the output items and the terminal response if it ended. */
export function outputFromFrames(frames: Array<{ frame: string }>): { items: ItemState[]; terminal: Response | null } {
  let terminal: Response | null = null;
  const events = frames.map(({ frame }) => {
    const event = JSON.parse(frame) as { type: string; response?: Response } & Record<string, unknown>;
    if (event.response && isTerminal(event.response.status)) terminal = event.response;
    return event;
  });
  return { items: itemsFromEvents(events), terminal };
}

/** A response as stored, with the output streamed so far when it runs on another instance. */
export function storedSnapshot(store: ResponseStore, id: string): Response | undefined {
  const row = store.get(id);
  if (row?.response.status !== 'in_progress') return row?.response;
  const { items } = outputFromFrames(store.eventsAfter(id, -1));
  return items.length > 0 ? { ...row.response, output: outputOf(items, 'in_progress') } : row.response;
}
