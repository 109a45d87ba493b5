import type { RelayContext } from '../context.ts';
import type { HttpMount } from '../http/mount.ts';
import { RelayError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import type { Principal } from '../principals.ts';
import { parseCreateKey, parsePatchKey } from './key-input.ts';
import { type KeyRing, type KeyRow, keyView } from './key-ring.ts';

/** What the caller may do: the console shows only what this allows. */
function selfView(principal: Principal, row: KeyRow | undefined) {
  const kind = principal.keyId === null ? 'admin_token' : row ? 'key' : 'token';
  return {
    id: principal.keyId,
    object: 'key',
    kind,
    name: row?.name ?? (kind === 'admin_token' ? 'admin token' : null),
    scopes: principal.scopes,
    sources: principal.sources,
    limits: principal.limits,
  };
}

/** /v1/keys: create (the key shown once), list, read, change, revoke; /v1/keys/self for any caller. */
export function keyRoutes({ v1, auth }: HttpMount, ctx: RelayContext, ring: KeyRing): void {
  const admin = auth.require('admin');
  const found = (id: string): KeyRow => {
    const row = ring.get(id);
    if (!row) throw new RelayError('not_found', `No key with id "${id}".`);
    return row;
  };

  v1.get('/keys/self', auth.signedIn, (_req, res) => {
    const principal = principalOf(res);
    res.json(selfView(principal, principal.keyId ? ring.get(principal.keyId) : undefined));
  });
  v1.post('/keys', admin, async (req, res) => {
    const input = parseCreateKey(req.body);
    const { row, key } = await ring.create(input, ctx.newId('key'), ctx.clock.now());
    res.status(201).json({ ...keyView(row), key });
  });
  v1.get('/keys', admin, (_req, res) => {
    res.json({ object: 'list', data: ring.list().map(keyView) });
  });
  v1.get('/keys/:id', admin, (req, res) => {
    res.json(keyView(found(String(req.params.id))));
  });
  v1.patch('/keys/:id', admin, async (req, res) => {
    const row = found(String(req.params.id));
    res.json(keyView(await ring.update(row, parsePatchKey(req.body))));
  });
  v1.delete('/keys/:id', admin, async (req, res) => {
    const row = found(String(req.params.id));
    await ring.remove(row);
    res.json({ id: row.id, object: 'key', deleted: true });
  });
}
