import { signHeaders } from '../../server/ingest/signers.ts';
import type { TestRelay, TestSource } from '../helpers/relay.ts';

export const GITHUB_SECRET = 'gh-console-secret';
export const SHOP_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export const CONSOLE_SOURCES: TestSource[] = [
  { name: 'github', verify: { scheme: 'github', secrets: [GITHUB_SECRET] } },
  { name: 'shop', verify: { scheme: 'standard-webhooks', secrets: [SHOP_SECRET] } },
];

/** POSTs a webhook signed the way the source's provider would; resolves to the relay's answer. */
export async function sendSigned(
  relay: TestRelay,
  source: 'github' | 'shop',
  payload: unknown,
  options: { id?: string; event?: string; secret?: string } = {},
): Promise<{ status: number; id?: string; duplicate?: boolean }> {
  const body = JSON.stringify(payload);
  const verify = source === 'github' ? { scheme: 'github' as const } : { scheme: 'standard-webhooks' as const };
  const secret = options.secret ?? (source === 'github' ? GITHUB_SECRET : SHOP_SECRET);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...signHeaders({ verify, secret, body, id: options.id }),
  };
  if (options.event) headers['x-github-event'] = options.event;
  const res = await fetch(`${relay.url}/hooks/${source}`, { method: 'POST', headers, body });
  return { status: res.status, ...((await res.json()) as { id?: string; duplicate?: boolean }) };
}
