import { api, session } from './lib/api.js';
import { clear, h } from './lib/dom.js';
import { pages } from './pages/index.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const connection = document.getElementById('connection');
const signOut = document.getElementById('sign-out');
let unmount = null;

function setConnection(state) {
  connection.textContent = state;
  connection.dataset.state = state;
}

function showSignIn(message = '') {
  clear(nav);
  signOut.hidden = true;
  clear(main).append(document.getElementById('sign-in-template').content.cloneNode(true));
  const form = document.getElementById('sign-in');
  form.querySelector('input').focus();
  form.querySelector('.error').textContent = message;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    session.token = new FormData(form).get('token').trim();
    try {
      await api('/v1/events?limit=1');
      route();
    } catch (error) {
      session.token = null;
      showSignIn(error.code === 'unauthorized' ? 'That token was not accepted.' : error.message);
    }
  });
}

function route() {
  if (!session.token) return showSignIn();
  signOut.hidden = false;
  const id = location.hash.replace(/^#\/?/, '').split('/')[0] || pages[0].id;
  const page = pages.find((p) => p.id === id) ?? pages[0];
  clear(nav).append(...pages.map((p) => h('a', { href: `#/${p.id}`, 'aria-current': p === page ? 'page' : undefined }, p.title)));
  if (typeof unmount === 'function') unmount();
  clear(main);
  unmount = page.mount(main, { api, session, setConnection, showSignIn }) ?? null;
}

signOut.addEventListener('click', () => {
  session.token = null;
  if (typeof unmount === 'function') unmount();
  unmount = null;
  setConnection('offline');
  showSignIn();
});
window.addEventListener('hashchange', route);
route();
