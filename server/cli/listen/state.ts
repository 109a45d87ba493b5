import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where `listen` keeps its cursor: the id of the last event it finished with (forwarded or given up). */
export interface ListenState {
  relay: string;
  forward_to: string;
  cursor: string;
  updated_at: string;
}

/** The user's cache folder: XDG_CACHE_HOME or ~/.cache, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME) return env.XDG_CACHE_HOME;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return env.LOCALAPPDATA;
  return join(homedir(), '.cache');
}

/** One state file per relay, target and filter set, so two listeners never share a cursor by accident. */
export function defaultStateFile(key: { relay: string; forwardTo: string; sources: string[]; types: string[] }): string {
  const digest = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  return join(cacheDir(), 'hookrelay', `listen-${digest}.json`);
}

export async function readState(file: string): Promise<ListenState | null> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as Partial<ListenState>;
    return typeof state.cursor === 'string' ? (state as ListenState) : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the state file ${file}: ${(error as Error).message} (delete it to start afresh)`);
  }
}

/** Written to a temporary file and renamed over the old one, so a kill leaves the old or the new cursor. */
export async function writeState(file: string, state: ListenState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
