import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdFactory } from '../../server/ids.ts';
import { RecentBodies } from '../../server/store/postgres/recent-bodies.ts';

const body = (text: string) => ({ raw: Buffer.from(text), content_type: 'application/json', client_ip: null });

describe('RecentBodies (the PostgreSQL store remembering the bodies it stored last)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const newId = createIdFactory(() => now);

  it('keeps the last bodies up to its capacity, dropping the oldest', () => {
    const bodies = new RecentBodies(2);
    const ids = [newId('evt'), newId('evt'), newId('evt')];
    for (const [i, id] of ids.entries()) bodies.remember(id, body(`{"n":${i}}`));
    assert.equal(bodies.get(ids[0], now), undefined);
    assert.equal(bodies.get(ids[1], now)?.raw.toString(), '{"n":1}');
    assert.equal(bodies.get(ids[2], now)?.raw.toString(), '{"n":2}');
  });

  it('keeps nothing with capacity 0', () => {
    const bodies = new RecentBodies(0);
    const id = newId('evt');
    bodies.remember(id, body('{}'));
    assert.equal(bodies.get(id, now), undefined);
  });

  it('answers only for bodies stored in the last ten seconds', () => {
    const bodies = new RecentBodies(10);
    const id = newId('evt');
    bodies.remember(id, body('{}'));
    assert.ok(bodies.get(id, now + 10_000));
    assert.equal(bodies.get(id, now + 10_001), undefined);
  });

  it('forgets every body up to the id retention deletes through, and keeps the newer ones', () => {
    const bodies = new RecentBodies(10);
    const ids = [newId('evt'), newId('evt'), newId('evt')];
    for (const id of ids) bodies.remember(id, body('{}'));
    bodies.forgetThrough(ids[1]);
    assert.deepEqual(
      ids.map((id) => bodies.get(id, now) !== undefined),
      [false, false, true],
    );
  });

  it('keeps at most 8 MiB of bodies, whatever their count', () => {
    const bodies = new RecentBodies(100);
    const ids = [newId('evt'), newId('evt'), newId('evt')];
    for (const id of ids) bodies.remember(id, { ...body(''), raw: Buffer.alloc(3 * 1024 * 1024) });
    assert.deepEqual(
      ids.map((id) => bodies.get(id, now) !== undefined),
      [false, true, true],
    );
    const huge = newId('evt');
    bodies.remember(huge, { ...body(''), raw: Buffer.alloc(9 * 1024 * 1024) });
    assert.equal(bodies.get(huge, now), undefined, 'a body over the bound alone is never kept');
  });
});
