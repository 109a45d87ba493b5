import type { Request, Response } from 'express';
import type { HttpMount } from '../http/mount.ts';
import type { RelayContext } from '../context.ts';
import type { SourceConfig } from '../config/types.ts';
import { RelayError } from '../errors.ts';
import { lastHourCounts, type SourceCounts } from './counts.ts';
import type { SourceRegistry } from './registry.ts';
import type { SourceService } from './service.ts';
import { liveSecrets, type SourceRow } from './source-row.ts';

/** The URL providers post to, made absolute from the request (behind a proxy: its Host and proto). */
function hookUrl(req: Request, name: string): string {
  return `${req.protocol}://${req.get('host')}/hooks/${encodeURIComponent(name)}`;
}

/** A source as the API shows it: never a secret (those appear once, in the answer that made them). */
function configView(source: SourceConfig) {
  const { secrets: _secrets, ...verify } = source.verify;
  return {
    object: 'source',
    name: source.name,
    origin: 'config',
    description: source.description ?? null,
    insecure: source.insecure,
    verify,
  };
}

function runtimeView(row: SourceRow, now: number) {
  const previous = liveSecrets(row, now).filter((entry) => entry.expires_at !== null);
  return {
    object: 'source',
    name: row.name,
    origin: 'api',
    description: row.description ?? null,
    insecure: row.insecure,
    verify: row.verify,
    created_at: row.created_at,
    updated_at: row.updated_at,
    // Old secrets of a rotation that still verify, and until when (the secrets themselves are never listed).
    previous_secrets: previous.map((entry) => ({ expires_at: entry.expires_at })),
  };
}

export function sourceRoutes(ctx: RelayContext, registry: SourceRegistry, service: SourceService, { v1, auth }: HttpMount): void {
  const admin = auth.require('sources');
  const counts = () => lastHourCounts(ctx.storage.events, ctx.clock.now(), ctx.config.limits.rejections);
  const withUrl = <T extends { name: string }>(req: Request, view: T, count?: SourceCounts) => ({
    ...view,
    url: hookUrl(req, view.name),
    ...(count ? { counts: count } : {}),
  });
  /** The answer that made or rotated a secret: the one place it is shown. */
  const withSecrets = (req: Request, row: SourceRow, secrets: string[]) => {
    const view = runtimeView(row, ctx.clock.now());
    return { ...withUrl(req, view), verify: { ...view.verify, secrets } };
  };

  v1.get('/sources', admin, async (req: Request, res: Response) => {
    const countOf = await counts();
    const now = ctx.clock.now();
    const data = [
      ...registry.configSources().map((s) => withUrl(req, configView(s), countOf(s.name))),
      ...registry.runtimeSources().map((row) => withUrl(req, runtimeView(row, now), countOf(row.name))),
    ];
    res.json({ object: 'list', data });
  });

  v1.post('/sources', admin, async (req: Request, res: Response) => {
    const row = await service.create(req.body);
    if (row.verify.scheme === 'none')
      ctx.logger.warn({ source: row.name }, 'source accepts UNSIGNED webhooks (scheme none, insecure: true)');
    res.status(201).json(
      withSecrets(
        req,
        row,
        row.secrets.map((entry) => entry.secret),
      ),
    );
  });

  v1.get('/sources/:name', admin, async (req: Request, res: Response) => {
    const name = String(req.params.name);
    const configured = registry.configSource(name);
    const row = registry.runtimeSource(name);
    if (!configured && !row) throw new RelayError('not_found', `No source named "${name}".`);
    const view = configured ? configView(configured) : runtimeView(row as SourceRow, ctx.clock.now());
    res.json(withUrl(req, view, (await counts())(name)));
  });

  v1.patch('/sources/:name', admin, async (req: Request, res: Response) => {
    const row = await service.update(String(req.params.name), req.body);
    res.json(withUrl(req, runtimeView(row, ctx.clock.now())));
  });

  v1.delete('/sources/:name', admin, async (req: Request, res: Response) => {
    const row = await service.remove(String(req.params.name));
    res.json({ object: 'source', name: row.name, deleted: true });
  });

  v1.post('/sources/:name/rotate-secret', admin, async (req: Request, res: Response) => {
    const row = await service.rotate(String(req.params.name), req.body);
    res.json(withSecrets(req, row, [row.secrets[0].secret]));
  });
}
