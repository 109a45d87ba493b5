// The live feed: GET /v1/events/stream through the browser's EventSource, resumed by cursor.
//
// EventSource cannot send headers, so the token goes in `?access_token=`. Reconnection is done here
// rather than by EventSource itself: after any drop we reopen with `?after=<last id seen>`, so the relay
// replays what was missed (no gap) and nothing is shown twice (ids at or before the cursor are ignored).

// Short: once the relay is back the page is live again within about half a second.
const BACKOFF_MS = { first: 250, max: 500 };

/**
 * followEvents({ token, source?, type?, after?, onEvent(event), onState(state), onGap(), probe? })
 * → { close(), cursor }. States: 'live', 'reconnecting' (the stream dropped; retrying), 'offline' (the
 * relay cannot be reached, still retrying; or closed). `probe()` is called after each drop and resolves
 * 'ok', 'down' or 'unauthorized' (the token was revoked: stop retrying).
 */
export function followEvents(options) {
  const { token, source, type, onEvent, onState, onGap, probe } = options;
  let cursor = options.after ?? null;
  let source$ = null;
  let retryTimer = null;
  let failures = 0;
  let closed = false;

  function url() {
    const query = new URLSearchParams({ access_token: token });
    if (source) query.set('source', source);
    if (type) query.set('type', type);
    if (cursor) query.set('after', cursor);
    return `/v1/events/stream?${query}`;
  }

  function connect() {
    retryTimer = null;
    source$ = new EventSource(url());
    source$.onopen = () => {
      failures = 0;
      onState('live');
    };
    source$.onmessage = (message) => {
      const event = parse(message.data);
      if (!event?.id || (cursor && event.id <= cursor)) return;
      cursor = event.id;
      onEvent(event);
    };
    source$.addEventListener('gap', () => onGap?.());
    source$.onerror = () => dropped();
  }

  async function dropped() {
    source$?.close();
    source$ = null;
    if (closed || retryTimer) return;
    failures++;
    onState('reconnecting');
    const health = probe ? await probe().catch(() => 'down') : 'ok';
    if (health === 'unauthorized') return stop('offline');
    if (closed) return;
    // The relay itself cannot be reached: say so, and keep trying.
    if (health === 'down') onState('offline');
    retryTimer = setTimeout(connect, Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** Math.min(failures - 1, 3)));
  }

  function stop(state) {
    closed = true;
    clearTimeout(retryTimer);
    source$?.close();
    source$ = null;
    onState(state);
  }

  connect();
  return {
    close: () => stop('offline'),
    get cursor() {
      return cursor;
    },
  };
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
