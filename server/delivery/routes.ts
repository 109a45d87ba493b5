import type { HttpMount } from '../http/mount.ts';
import { RelayError } from '../errors.ts';
import { limitParam, optionalString } from '../http/query.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type { DeliveryEngine } from './engine.ts';
import { parseEndpointInput } from './endpoint-input.ts';
import type { DeliveryOperations } from './operations.ts';
import type { DeliveryStatus } from './types.ts';
import { deliveryView, endpointView } from './views.ts';

export interface RouteDeps {
  ops: DeliveryOperations;
  store: DeliveryStore;
  engine: DeliveryEngine;
  endpoints: () => ReturnType<DeliveryOperations['endpoint']>[];
}

const STATUSES = new Set(['pending', 'succeeded', 'failed']);

/** /v1/endpoints and /v1/deliveries (docs/delivery.md lists them with examples). */
export function deliveryRoutes({ v1, auth }: HttpMount, deps: RouteDeps): void {
  const { ops, store, engine } = deps;
  const view = (row: Parameters<typeof deliveryView>[0]) => deliveryView(row, engine.isSending(row.id));

  v1.post('/endpoints', auth.require('endpoints'), async (req, res) => {
    const endpoint = await ops.createEndpoint(parseEndpointInput(req.body, true));
    res.status(201).json({ ...endpointView(endpoint, store), secret: endpoint.secret });
  });
  v1.get('/endpoints', auth.require('endpoints'), (req, res) => {
    const uid = optionalString(req, 'uid');
    const rows = uid === undefined ? deps.endpoints() : deps.endpoints().filter((e) => e.uid === uid);
    res.json({ object: 'list', data: rows.map((e) => endpointView(e, store)) });
  });
  v1.get('/endpoints/:id', auth.require('endpoints'), (req, res) => {
    res.json(endpointView(ops.endpoint(String(req.params.id)), store));
  });
  v1.patch('/endpoints/:id', auth.require('endpoints'), async (req, res) => {
    const endpoint = await ops.updateEndpoint(String(req.params.id), parseEndpointInput(req.body, false));
    res.json(endpointView(endpoint, store));
  });
  v1.delete('/endpoints/:id', auth.require('endpoints'), async (req, res) => {
    await ops.deleteEndpoint(String(req.params.id));
    res.json({ id: req.params.id, object: 'endpoint', deleted: true });
  });
  v1.post('/endpoints/:id/pause', auth.require('endpoints'), async (req, res) => {
    res.json(endpointView(await ops.updateEndpoint(String(req.params.id), { paused: true }), store));
  });
  v1.post('/endpoints/:id/resume', auth.require('endpoints'), async (req, res) => {
    res.json(endpointView(await ops.updateEndpoint(String(req.params.id), { paused: false }), store));
  });
  v1.post('/endpoints/:id/flush', auth.require('endpoints'), async (req, res) => {
    const { rows, remaining } = await ops.flush(String(req.params.id));
    res.status(202).json({
      object: 'flush',
      endpoint_id: req.params.id,
      flushed: rows.length,
      delivery_ids: rows.map((r) => r.id),
      remaining,
    });
  });
  v1.get('/endpoints/:id/secret', auth.require('endpoints'), (req, res) => {
    const endpoint = ops.endpoint(String(req.params.id));
    res.json({
      secret: endpoint.secret,
      previous: endpoint.previous_secrets.map((p) => ({ expires_at: new Date(p.expires_at).toISOString() })),
    });
  });
  v1.post('/endpoints/:id/rotate-secret', auth.require('endpoints'), async (req, res) => {
    const endpoint = await ops.rotateSecret(String(req.params.id));
    res.json({ ...endpointView(endpoint, store), secret: endpoint.secret });
  });
  v1.get('/endpoints/:id/deliveries', auth.require('endpoints'), (req, res) => {
    const endpoint = ops.endpoint(String(req.params.id));
    const status = optionalString(req, 'status');
    if (status !== undefined && !STATUSES.has(status))
      throw new RelayError('invalid_request', '"status" must be pending, succeeded or failed.');
    const limit = limitParam(req, 50, 500);
    const rows = store.listForEndpoint(endpoint.id, {
      status: status as DeliveryStatus | undefined,
      before: optionalString(req, 'before'),
      limit: limit + 1,
    });
    const data = rows.slice(0, limit).map(view);
    res.json({ object: 'list', data, has_more: rows.length > limit, last_id: data.at(-1)?.id ?? null });
  });
  v1.post('/endpoints/:id/recover', auth.require('endpoints'), async (req, res) => {
    const since = Date.parse(String((req.body as { since?: unknown } | undefined)?.since ?? ''));
    if (Number.isNaN(since)) throw new RelayError('invalid_request', '"since" must be a date-time such as 2026-01-31T00:00:00Z.');
    const rows = await ops.recover(String(req.params.id), since);
    res
      .status(202)
      .json({ object: 'recovery', endpoint_id: req.params.id, recovered: rows.length, delivery_ids: rows.map((r) => r.id) });
  });
  v1.post('/endpoints/:id/replay', auth.require('endpoints'), async (req, res) => {
    const eventId = (req.body as { event_id?: unknown } | undefined)?.event_id;
    if (typeof eventId !== 'string' || eventId === '')
      throw new RelayError('invalid_request', '"event_id" must be the id of a stored event.');
    res.status(202).json(view(await ops.enqueueForEndpoint(String(req.params.id), eventId, 'replay')));
  });
  v1.get('/deliveries/:id', auth.require('endpoints'), (req, res) => {
    const row = store.get(String(req.params.id));
    if (!row) throw new RelayError('not_found', `No delivery with id "${req.params.id}".`);
    res.json(view(row));
  });
  v1.post('/deliveries/:id/retry', auth.require('endpoints'), async (req, res) => {
    res.status(202).json(view(await ops.retry(String(req.params.id))));
  });
}
