import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';

const FREED = 'ai.key-slot-freed';
/** On a shared store, a waiter also looks again this often (a message lost with its instance). */
const RECHECK_MS = 1000;

/**
 * `ai_concurrent`: at most N background responses of one key run at once; the others wait queued.
 * Slots are cluster claims (`ai-slot:<key>:<i>`), so the limit holds across instances on a shared
 * store; a freed slot is announced to every instance so a waiter anywhere takes it at once.
 */
export function createKeySlots(cluster: Cluster, clock: Clock) {
  const held = new Map<string, Set<number>>();
  const wakers = new Map<string, Set<() => void>>();
  const wake = (key: string) => {
    for (const w of [...(wakers.get(key) ?? [])]) w();
  };
  cluster.on(FREED, (message) => wake(String((message as { key?: unknown }).key)));

  function nextChange(key: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: { clear(): void } | undefined;
      const set = wakers.get(key) ?? new Set();
      wakers.set(key, set);
      const done = () => {
        set.delete(done);
        if (set.size === 0) wakers.delete(key);
        timer?.clear();
        signal.removeEventListener('abort', done);
        resolve();
      };
      set.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (cluster.shared) timer = clock.setTimeout(done, RECHECK_MS);
    });
  }

  async function tryTake(key: string, limit: number): Promise<number | null> {
    const mine = held.get(key) ?? new Set<number>();
    const free = Array.from({ length: limit }, (_, i) => i).filter((i) => !mine.has(i));
    if (free.length === 0) return null;
    const granted = await cluster.claim(free.map((i) => `ai-slot:${key}:${i}`));
    if (granted.length === 0) return null;
    await cluster.release(granted.slice(1));
    const slot = Number(granted[0].slice(granted[0].lastIndexOf(':') + 1));
    mine.add(slot);
    held.set(key, mine);
    return slot;
  }

  return {
    /** Waits for a slot of `key` (rejects when `signal` aborts); resolves with the function that frees it. */
    async acquire(key: string, limit: number, signal: AbortSignal): Promise<() => Promise<void>> {
      for (;;) {
        signal.throwIfAborted();
        const slot = await tryTake(key, limit);
        if (slot !== null) {
          return async () => {
            held.get(key)?.delete(slot);
            await cluster.release([`ai-slot:${key}:${slot}`]);
            await cluster.send(FREED, { key });
          };
        }
        await nextChange(key, signal);
      }
    },
  };
}

export type KeySlots = ReturnType<typeof createKeySlots>;
