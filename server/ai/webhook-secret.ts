import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TableFactory } from '../store/table.ts';

const FILE = 'ai-webhook-secret';

/**
 * The Standard Webhooks secret that signs webhook_url deliveries: `ai.webhookSecret` when configured,
 * else generated once and kept in the data dir (mode 0600). Always `whsec_` + base64 so that both the
 * standardwebhooks library and openai-node's unwrap() decode the same key.
 */
export async function resolveWebhookSecret(
  configured: string | null,
  dataDir: string | null,
): Promise<{ secret: string; file: string | null }> {
  if (configured) return { secret: configured, file: null };
  const generated = () => `whsec_${randomBytes(32).toString('base64')}`;
  if (!dataDir) return { secret: generated(), file: null };
  const file = join(dataDir, FILE);
  try {
    return { secret: (await readFile(file, 'utf8')).trim(), file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = generated();
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, file };
}

/**
 * On a store shared by several instances the generated secret is kept in the store, so that every
 * instance signs with the same one: the first instance to start inserts it, the others read it.
 */
export async function sharedWebhookSecret(
  configured: string | null,
  tables: TableFactory,
): Promise<{ secret: string; file: string | null }> {
  if (configured) return { secret: configured, file: null };
  const table = tables.table<{ id: string; secret: string }>('ai-settings', 'small');
  await table.open();
  try {
    await table.insertNew([{ id: 'webhook-secret', secret: `whsec_${randomBytes(32).toString('base64')}` }]);
    await table.refresh(['webhook-secret']);
    const row = table.get('webhook-secret');
    if (!row) throw new Error('the shared AI webhook secret could not be stored');
    return { secret: row.secret, file: null };
  } finally {
    await table.close();
  }
}
