import { api, session } from '../../lib/api.js';
import { followEvents } from '../../lib/stream.js';
import { MAX_EVENTS } from './feed.js';

/** Live events are handed on in batches at most this often: a burst costs one DOM update, not one per event. */
export const FLUSH_MS = 50;

/**
 * The events page's data source: the newest page (`GET /v1/events?tail=true`), then the live stream from
 * that page's cursor, so nothing falls between the two. `load(filters)` starts over (filters changed);
 * `onLoaded(page)` gets the page, `onBatch(events)` every batch of live events (in arrival order).
 */
export function createLiveFeed({ ctx, onLoaded, onBatch, onNotice }) {
  let follow = null;
  let loadToken = 0;
  const incoming = [];
  let flushTimer = null;

  function received(event) {
    incoming.push(event);
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  }

  function flush() {
    flushTimer = null;
    onBatch(incoming.splice(0));
  }

  function stop() {
    loadToken++;
    follow?.close();
    follow = null;
    incoming.length = 0;
    clearTimeout(flushTimer);
    flushTimer = null;
  }

  async function load({ source, type }) {
    stop();
    const mine = loadToken;
    const query = new URLSearchParams({ tail: 'true', limit: String(MAX_EVENTS) });
    if (source) query.set('source', source);
    if (type) query.set('type', type);
    try {
      const page = await ctx.api(`/v1/events?${query}`);
      if (mine !== loadToken) return;
      onLoaded(page);
      // With nothing loaded there is no cursor: once live, fetch again for what arrived in between.
      let caughtUp = page.last_id !== null;
      const onState = (state) => {
        if (mine !== loadToken) return;
        ctx.setConnection(state);
        if (state !== 'live' || caughtUp) return;
        caughtUp = true;
        ctx.api(`/v1/events?${query}`).then(
          (again) => mine === loadToken && again.data.forEach(received),
          () => {},
        );
      };
      follow = followEvents({
        token: session.token,
        source,
        type,
        after: page.last_id,
        onEvent: received,
        onState,
        onGap: () => onNotice('Some events were removed by retention before they could be shown.'),
        probe,
      });
    } catch (error) {
      if (mine === loadToken) onNotice(`Could not load events: ${error.message}`);
    }
  }

  return { load, stop };
}

/** After a drop: is the relay there, and does it still take the token? */
function probe() {
  return api('/v1/events?limit=1').then(
    () => 'ok',
    (error) => (error.code === 'unauthorized' ? 'unauthorized' : 'down'),
  );
}
