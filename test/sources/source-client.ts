import { Webhook } from 'standardwebhooks';

/** What /v1/sources answers for one source (the fields the tests read). */
export interface SourceAnswer {
  name: string;
  origin: 'config' | 'api';
  url: string;
  verify: { scheme: string; secrets?: string[] };
  counts?: { window_seconds: number; accepted: number; rejected: number };
  previous_secrets?: Array<{ expires_at: string }>;
}

/** Calls the relay's API with a token; answers status and parsed JSON body. */
export async function call<T = Record<string, unknown>>(
  url: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * POSTs a JSON payload to a source URL, signed with the standardwebhooks library (as a sender would);
 * `at` is the signing time (the relay's clock in tests that move it).
 */
export async function sendSigned(hookUrl: string, secret: string, payload: unknown, at = new Date()) {
  const body = JSON.stringify(payload);
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const signature = new Webhook(secret).sign(id, at, body);
  const res = await fetch(hookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: string } } };
}
