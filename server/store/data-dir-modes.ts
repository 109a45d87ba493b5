import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The data dir and every directory in it: only the relay's own user may list or enter them. */
export const PRIVATE_DIR_MODE = 0o700;
/** Every file in the data dir (secrets, events, deliveries, uploads): owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes the data dir (created if missing) and everything in it owner-only: a data dir written by an
 * older version, or copied in with looser modes, is fixed at start-up. Symbolic links are left alone
 * (chmod would change what they point to, which may lie outside the data dir). Returns the paths this
 * user may not change (owned by another user), for a warning: the relay can still use them.
 */
export async function makeDataDirPrivate(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const notOwned: string[] = [];
  const restrict = async (path: string, mode: number) => {
    try {
      await chmod(path, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPERM') notOwned.push(path);
      else if (code !== 'ENOENT') throw error;
    }
  };
  await restrict(dir, PRIVATE_DIR_MODE);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await restrict(path, PRIVATE_DIR_MODE);
    else if (entry.isFile()) await restrict(path, PRIVATE_FILE_MODE);
  }
  return notOwned;
}
