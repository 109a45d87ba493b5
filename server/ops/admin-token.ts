import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** HOOKRELAY_ADMIN_TOKEN, else the token kept in the data dir (made on first start, mode 0600). */
export async function resolveAdminToken(dataDir: string | null, fromEnv: string | undefined) {
  if (fromEnv) return { token: fromEnv, file: null as string | null, created: false };
  if (!dataDir) return { token: `hra_${randomBytes(24).toString('base64url')}`, file: null, created: true };
  const file = join(dataDir, 'admin-token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return { token, file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const token = `hra_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return { token, file, created: true };
}
