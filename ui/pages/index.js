// The console's pages, in navigation order. A page module default-exports
// { id, title, mount(container, ctx) } where mount may return an unmount function.
// ctx = { api, session, setConnection(state) }.
import endpoints from './endpoints.js';
import overview from './overview.js';

export const pages = [overview, endpoints];
