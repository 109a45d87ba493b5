import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerOf(file: string): Promise<number | null> {
  const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * One relay per data dir: two writers on the same files would interleave appends. The lock file holds
 * the owner's pid and appears with its content in one step (written aside, then hard-linked into
 * place), so a starting relay never sees a half-written lock. A lock whose pid no longer runs (the
 * owner was killed with -9) is taken over. Returns the release function (idempotent).
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'hookrelay.lock');
  const mine = join(dir, `hookrelay.lock.${process.pid}`);
  try {
    // Inside the try: on a full disk the file is created and the write fails; it must not stay behind.
    await writeFile(mine, String(process.pid), { mode: 0o600 });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, file);
        return releaser(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = await ownerOf(file);
      if (pid !== null && pid !== process.pid && alive(pid)) {
        throw new Error(
          `data dir ${dir} is in use by another running relay (pid ${pid}, lock file ${file}). ` +
            'Stop that relay, or give this one its own --data-dir.',
        );
      }
      // The owner is gone: remove its lock and try again.
      await unlink(file).catch(() => {});
    }
    throw new Error(`could not lock data dir ${dir}: ${file} keeps reappearing`);
  } finally {
    await unlink(mine).catch(() => {});
  }
}

function releaser(file: string): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if ((await ownerOf(file)) === process.pid) await unlink(file).catch(() => {});
  };
}
