import { RelayError } from '../errors.ts';
import type { HttpMount } from '../http/mount.ts';

/** A subscriber token as the API shows it (never its hash; the token itself only once, on creation). */
export interface TokenView {
  object: 'token';
  id: string;
  name: string;
  sources: string[] | null;
  created_at: string;
}

export interface TokenOperations {
  create(name: string, sources: string[] | null): Promise<{ row: TokenView; token: string }>;
  list(): TokenView[];
  /** false: no token with this id. */
  revoke(id: string): Promise<boolean>;
}

/** POST /v1/tokens (the token shown once), GET /v1/tokens, DELETE /v1/tokens/:id: admin only. */
export function tokenRoutes({ v1, auth }: HttpMount, tokens: TokenOperations): void {
  v1.post('/tokens', auth.admin, async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown; sources?: unknown };
    if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200) {
      throw new RelayError('invalid_request', '"name" must be a non-empty string (at most 200 characters).');
    }
    const sources = body.sources ?? null;
    if (sources !== null && !(Array.isArray(sources) && sources.every((s) => typeof s === 'string'))) {
      throw new RelayError('invalid_request', '"sources" must be a list of source names.');
    }
    const { row, token } = await tokens.create(body.name, sources as string[] | null);
    res.status(201).json({ ...row, token });
  });
  v1.get('/tokens', auth.admin, (_req, res) => {
    res.json({ object: 'list', data: tokens.list() });
  });
  v1.delete('/tokens/:id', auth.admin, async (req, res) => {
    const id = String(req.params.id);
    if (!(await tokens.revoke(id))) throw new RelayError('not_found', `No token with id "${req.params.id}".`);
    res.json({ id, object: 'token', deleted: true });
  });
}
