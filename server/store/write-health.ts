import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from './data-dir-modes.ts';

/** Bytes the probe writes and syncs: enough to need a block of its own, small enough to cost nothing. */
const PROBE_BYTES = 4096;

/**
 * Whether the store's files take writes, for /readyz. A durable write that fails (disk full, I/O
 * error) marks the store unwritable; it is writable again once a write succeeds or a probe file can
 * be written and synced, so a relay a load balancer took out of rotation comes back on its own when
 * space is freed.
 */
export class WriteHealth {
  readonly #dir: string;
  #failing = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  failed(): void {
    this.#failing = true;
  }

  succeeded(): void {
    this.#failing = false;
  }

  async writable(): Promise<boolean> {
    if (!this.#failing) return true;
    const probe = join(this.#dir, '.write-probe');
    try {
      const handle = await open(probe, 'w', PRIVATE_FILE_MODE);
      try {
        await handle.write(Buffer.alloc(PROBE_BYTES));
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.#failing = false;
      return true;
    } catch {
      return false;
    } finally {
      await unlink(probe).catch(() => {});
    }
  }
}
