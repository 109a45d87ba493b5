import type { OutputState } from './execution.ts';
import type { LiveResponse } from './live.ts';
import { isTerminal, messageItem, type Response } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';

/** A response that is queued or running in this process. */
export class Run implements OutputState {
  row: ResponseRow;
  readonly live: LiveResponse;
  readonly controller = new AbortController();
  readonly newItemId: () => string;
  itemId: string | null = null;
  text = '';
  stopped = false;
  cancelRequested = false;
  timedOut = false;
  readonly settled: Promise<Response>;
  settle!: (response: Response) => void;

  constructor(row: ResponseRow, live: LiveResponse, newItemId: () => string) {
    this.row = row;
    this.live = live;
    this.newItemId = newItemId;
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** The Response as a reader should see it now, with the text streamed so far. */
  snapshot(patch: Partial<Response> = {}): Response {
    const status = patch.status ?? this.row.response.status;
    const itemStatus =
      status === 'completed' ? 'completed' : status === 'in_progress' || status === 'queued' ? 'in_progress' : 'incomplete';
    const output = this.itemId ? [messageItem(this.itemId, this.text, itemStatus)] : [];
    return { ...this.row.response, output, ...patch } as Response;
  }
}

/** What a stored stream already holds: the message item, its text and the terminal response if it ended. */
export function outputFromFrames(frames: Array<{ frame: string }>): {
  itemId: string | null;
  text: string;
  terminal: Response | null;
} {
  let itemId: string | null = null;
  let text = '';
  let terminal: Response | null = null;
  for (const { frame } of frames) {
    const event = JSON.parse(frame) as { type: string; item?: { id: string }; delta?: string; response?: Response };
    if (event.type === 'response.output_item.added') itemId = event.item?.id ?? null;
    else if (event.type === 'response.output_text.delta') text += event.delta ?? '';
    else if (event.response && isTerminal(event.response.status)) terminal = event.response;
  }
  return { itemId, text, terminal };
}

/** A response as stored, with the text streamed so far when it runs on another instance. */
export function storedSnapshot(store: ResponseStore, id: string): Response | undefined {
  const row = store.get(id);
  if (row?.response.status !== 'in_progress') return row?.response;
  const { itemId, text } = outputFromFrames(store.eventsAfter(id, -1));
  return itemId ? { ...row.response, output: [messageItem(itemId, text, 'in_progress')] } : row.response;
}
