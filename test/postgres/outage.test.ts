import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

/** A TCP pass-through to PostgreSQL that the test can cut, as a network failure or a database restart would. */
function databaseLink(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  return {
    async open(port = 0): Promise<number> {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
      return (server.address() as { port: number }).port;
    },
    async cut(): Promise<void> {
      if (!server?.listening) return;
      const closed = new Promise((resolve) => server?.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('a relay whose PostgreSQL goes away', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  const target = new URL(testDatabaseUrl ?? 'postgres://localhost');
  const link = databaseLink(target);
  let relay: TestRelay | undefined;
  after(async () => {
    await relay?.stop();
    await link.cut();
    await dropSchemas([schema]);
  });

  it('answers 503 store_unavailable and not ready while it is gone, and takes events again once it is back', async () => {
    const port = await link.open();
    const viaLink = new URL(target);
    viaLink.port = String(port);
    relay = await startRelay({
      driver: 'postgres',
      postgres: { url: viaLink.toString(), schema },
      sources: [{ name: 'dev', insecure: true, verify: { scheme: 'none' } }],
    });
    const post = () =>
      fetch(`${relay?.url}/hooks/dev`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"t"}' });
    assert.equal((await post()).status, 200);

    await link.cut();
    const refused = await post();
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'store_unavailable');
    assert.equal((await fetch(`${relay.url}/readyz`)).status, 503);

    await link.open(port);
    await waitFor('the relay to be ready again', async () => (await fetch(`${relay?.url}/readyz`)).status === 200);
    assert.equal((await post()).status, 200);
    const list = await fetch(`${relay.url}/v1/events`, { headers: relay.auth });
    assert.equal(((await list.json()) as { data: unknown[] }).data.length, 2, 'the refused event was not stored');
  });
});
