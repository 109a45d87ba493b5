import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
