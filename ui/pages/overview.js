import { api } from '../lib/api.js';
import { h } from '../lib/dom.js';

export default {
  id: 'overview',
  title: 'Overview',
  mount(container) {
    const list = h('ul', { class: 'stats' });
    container.append(h('h1', {}, 'Overview'), list);
    api('/v1/events?limit=1000').then(
      (page) => {
        const bySource = new Map();
        for (const e of page.data) bySource.set(e.source, (bySource.get(e.source) ?? 0) + 1);
        if (bySource.size === 0) list.append(h('li', {}, 'No events yet.'));
        for (const [source, n] of bySource) list.append(h('li', {}, `${source}: ${n}`));
      },
      (error) => list.append(h('li', { class: 'error' }, error.message)),
    );
  },
};
