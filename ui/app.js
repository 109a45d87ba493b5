// hookrelay console shell: sign-in, navigation between pages, the connection indicator.
//
// Plain ES modules served from ui/ (no build step, no CDN). Pieces meant for every page:
//
//   pages/index.js   the page list. A page default-exports { id, title, mount(container, ctx) }; mount may
//                    return an unmount function (close streams, clear timers, remove listeners there).
//                    The page is shown at #/<id>; #/<id>/<rest> is left to the page (ctx.route.rest).
//   ctx              { api(path, {method, body, signal}) → JSON (throws ApiError {status, code, message};
//                    a 401 signs the user out), session.token, setConnection('live'|'reconnecting'|'offline'),
//                    route: { id, rest }, self: GET /v1/keys/self (the key's scopes, sources, limits) }
//   page.scope       the scope a page needs (lib/scopes.js knows the built-in pages'); the navigation
//                    shows only the pages the signed-in key may use.
//   lib/dom.js       h(tag, props, ...children) builds elements (text is never parsed as HTML), clear(el).
//   lib/api.js       api(), session, ApiError.
//   lib/stream.js    followEvents({token, source, type, after, onEvent, onState, onGap, probe}): the live
//                    SSE feed with cursor resume.
//   lib/clipboard.js copyButton(label, getText) and copyText(text).
//   lib/json.js      prettyJson, sortedKeys, canonicalLines.   lib/diff.js diffLines, withContext.
//   lib/glob.js      typeMatcher(glob), serverTypeFilter(glob).
//   lib/parts.js     toolbar(title, ...controls), notice(), jsonBlock(value, {label, copy}),
//                    keyValueTable(record), statusBadge(status): the common page parts.
//   style.css        .toolbar (page title + controls), .panes > .list-pane + .detail (two columns,
//                    one below 900px), .button-row, .badge.ok/.bad/.warn, .notice, .muted, .error,
//                    button.primary, button.link, table, pre; focus is always visible (:focus-visible).
//                    Events-page classes (.event-*, .feed-stats, .facts, .diff) are scoped to it.
//                    table.stack turns rows into cards below 700px (td[data-label] names each cell).
//   lib/time.js      timeEl(iso), formatTime(iso): the one time format (full timestamp on hover).
//   lib/svg.js       s(tag, attrs, ...children), svgRoot(): inline SVG built with DOM APIs.
//
// Offline: when the relay cannot be reached (the live stream says so, or any API call fails to connect)
// a banner says so and /healthz is polled twice a second; the banner goes once the relay answers.
import { ApiError, api, session } from './lib/api.js';
import { clear, h } from './lib/dom.js';
import { pagesFor } from './lib/scopes.js';
import { pages } from './pages/index.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const connection = document.getElementById('connection');
const signOut = document.getElementById('sign-out');
const offlineBanner = document.getElementById('offline-banner');
const HEALTH_POLL_MS = 500;
let unmount = null;
/** What the signed-in key may do (GET /v1/keys/self), loaded once per sign-in or page load. */
let self = null;
let healthTimer = null;

/** The live-stream indicator; shown only while a page that follows the stream reports a state. */
function setConnection(state) {
  connection.textContent = state;
  connection.dataset.state = state;
  connection.hidden = false;
  if (state === 'offline' && session.token && !connection.dataset.closing) relayDown();
  if (state === 'live') relayBack();
}

/** The relay stopped answering: show the banner and poll /healthz until it answers again. */
function relayDown() {
  offlineBanner.hidden = false;
  if (healthTimer) return;
  const check = async () => {
    const up = await fetch('/healthz', { cache: 'no-store' }).then(
      (res) => res.ok,
      () => false,
    );
    if (up) relayBack();
    else healthTimer = setTimeout(check, HEALTH_POLL_MS);
  };
  healthTimer = setTimeout(check, HEALTH_POLL_MS);
}

function relayBack() {
  clearTimeout(healthTimer);
  healthTimer = null;
  offlineBanner.hidden = true;
}

/** api() for pages: a token the relay no longer accepts ends the session instead of failing quietly. */
async function pageApi(path, options) {
  try {
    const result = await api(path, options);
    if (!offlineBanner.hidden && !healthTimer) relayBack();
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) leave('Your token is no longer accepted. Sign in again.');
    // fetch() rejects with a TypeError when the relay cannot be reached at all.
    if (error instanceof TypeError) relayDown();
    throw error;
  }
}

function showSignIn(message = '') {
  clear(nav);
  signOut.hidden = true;
  delete main.dataset.page;
  clear(main).append(document.getElementById('sign-in-template').content.cloneNode(true));
  const form = document.getElementById('sign-in');
  const submit = form.querySelector('button');
  form.querySelector('input').focus();
  form.querySelector('.error').textContent = message;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    session.token = new FormData(form).get('token').trim();
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      self = await api('/v1/keys/self');
      route();
    } catch (error) {
      session.token = null;
      showSignIn(error.code === 'unauthorized' ? 'That token was not accepted.' : error.message);
    }
  });
}

async function route() {
  if (!session.token) return showSignIn();
  if (!self) {
    try {
      self = await api('/v1/keys/self');
    } catch (error) {
      return leave(error.status === 401 ? 'Your token is no longer accepted. Sign in again.' : error.message);
    }
  }
  signOut.hidden = false;
  const allowed = pagesFor(self, pages);
  const [id, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const page = allowed.find((p) => p.id === id) ?? allowed[0];
  clear(nav).append(
    ...allowed.map((p) => h('a', { href: `#/${p.id}`, 'aria-current': p === page ? 'page' : undefined }, p.title)),
  );
  stopPage();
  clear(main);
  if (!page) {
    main.dataset.page = 'none';
    main.append(h('p', { class: 'notice' }, `This key (scopes: ${self.scopes.join(', ')}) opens no console page.`));
    return;
  }
  main.dataset.page = page.id;
  document.title = `${page.title} · hookrelay`;
  const ctx = { api: pageApi, session, self, setConnection, route: { id: page.id, rest: rest.join('/') } };
  unmount = page.mount(main, ctx) ?? null;
}

function stopPage() {
  // A page closing its stream is not the relay going away.
  connection.dataset.closing = 'true';
  if (typeof unmount === 'function') unmount();
  unmount = null;
  setConnection('offline');
  delete connection.dataset.closing;
  connection.hidden = true;
}

function leave(message) {
  session.token = null;
  self = null;
  stopPage();
  showSignIn(message);
}

signOut.addEventListener('click', () => leave());
window.addEventListener('hashchange', route);
route();
