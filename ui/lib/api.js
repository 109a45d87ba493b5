// Talks to the relay's HTTP API with the signed-in token. Errors carry the relay's error code.
const KEY = 'hookrelay.token';

export const session = {
  get token() {
    return localStorage.getItem(KEY);
  },
  set token(value) {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** fetch() against /v1 with the token; JSON in and out. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { authorization: `Bearer ${session.token ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not the relay's JSON (a proxy's error page, say): report the HTTP status instead.
    if (res.ok) throw new ApiError(res.status, 'invalid_response', 'The relay answered with something other than JSON.');
  }
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? res.statusText);
  return data;
}
