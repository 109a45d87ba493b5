// The console's pages, in navigation order; the first is the default. A page module default-exports
// { id, title, mount(container, ctx) } where mount may return an unmount function. ctx is described at
// the top of ui/app.js. Add a page with one import and one entry here.
import batches from './batches.js';
import endpoints from './endpoints.js';
import events from './events.js';
import keys from './keys.js';
import rejections from './rejections.js';
import responses from './responses.js';
import workflows from './workflows.js';

export const pages = [events, rejections, endpoints, workflows, responses, batches, keys];
