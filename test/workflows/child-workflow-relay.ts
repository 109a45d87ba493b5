import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { signHeaders } from '../../server/ingest/signers.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { startReceiver } from './helpers.ts';

/**
 * A relay in a child process (`hookrelay start`, to kill with SIGKILL) whose data dir holds these
 * workflow files, with a Standard Webhooks source `in` and a receiver the workflows reach as
 * `env.RECEIVER_URL`. Registers the suite's before and after hooks, which clean all of it up.
 */
export function childWorkflowRelay(options: {
  tmpPrefix: string;
  files: Record<string, string>;
  secret: string;
  /** How the receiver answers (default 200 {}; null: never). */
  respond?: Parameters<typeof startReceiver>[0];
  watch?: boolean;
}) {
  let dataDir = '';
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  let relay: ChildRelay | undefined;
  const configYaml = [
    'sources:',
    '  - name: in',
    `    verify: { scheme: standard-webhooks, secrets: ["${options.secret}"] }`,
    'workflows:',
    '  dir: ./workflows',
    '  env: [RECEIVER_URL]',
    ...(options.watch === false ? ['  watch: false'] : []),
  ].join('\n');

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), options.tmpPrefix));
    await mkdir(join(dataDir, 'workflows'));
    for (const [name, text] of Object.entries(options.files)) await writeFile(join(dataDir, 'workflows', name), text);
    receiver = await startReceiver(options.respond);
  });
  after(async () => {
    if (relay?.child.exitCode === null) {
      relay.child.kill('SIGKILL');
      await relay.exited;
    }
    receiver?.server.closeAllConnections();
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const current = (): ChildRelay => {
    assert.ok(relay, 'the relay is not started');
    return relay;
  };
  return {
    get dataDir(): string {
      return dataDir;
    },
    get received() {
      assert.ok(receiver, 'the receiver starts before the tests');
      return receiver.received;
    },
    /** The relay started last. */
    get relay(): ChildRelay {
      return current();
    },
    async start(): Promise<ChildRelay> {
      relay = await spawnRelay({ dataDir, configYaml, env: { RECEIVER_URL: receiver?.url ?? '' } });
      return relay;
    },
    async kill(): Promise<void> {
      current().child.kill('SIGKILL');
      await current().exited;
    },
    /** Sends a signed event `{ type, key }` to the source; resolves with its event id. */
    async send(type: string, key: string): Promise<string> {
      const body = JSON.stringify({ type, key });
      const headers = {
        'content-type': 'application/json',
        ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: options.secret, body }),
      };
      const res = await fetch(`${current().url}/hooks/in`, { method: 'POST', headers, body });
      assert.equal(res.status, 200);
      return ((await res.json()) as { id: string }).id;
    },
  };
}
