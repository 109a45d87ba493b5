import { IndexedEventStore } from './indexed-event-store.ts';

/** The in-memory twin: same behaviour, nothing on disk. For tests and throwaway runs. */
export class MemoryEventStore extends IndexedEventStore {
  #open = false;
  async open(): Promise<void> {
    this.#open = true;
  }
  async close(): Promise<void> {
    this.#open = false;
  }
  protected async persist(): Promise<void> {
    if (!this.#open) throw new Error('store is closed');
  }
  protected async persistRejection(): Promise<void> {}
  async writable(): Promise<boolean> {
    return this.#open;
  }
}
