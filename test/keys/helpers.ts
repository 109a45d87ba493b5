import type { TestRelay } from '../helpers/relay.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests read untyped JSON answers field by field
type Json = Record<string, any>;

export interface CreatedKey {
  id: string;
  key: string;
  scopes: string[];
  sources: string[] | null;
  limits: Record<string, number>;
}

/** POST /v1/keys as admin; throws unless 201. */
export async function createKey(relay: TestRelay, body: Record<string, unknown>): Promise<CreatedKey> {
  const res = await fetch(`${relay.url}/v1/keys`, {
    method: 'POST',
    headers: { ...relay.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /v1/keys: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedKey;
}

/** A JSON request with a bearer token; resolves with the status, headers and parsed body. */
export async function call(relay: TestRelay, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${relay.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Json };
}
