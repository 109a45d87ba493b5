import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type ChildRelay, spawnRelay } from './child-relay.ts';
import { type FakeOpenAI, startFakeOpenAI } from './fake-openai.ts';
import { dropSchemas, newSchema, testDatabaseUrl } from './postgres.ts';
import { startRelay, type TestRelay, type TestRelayOptions } from './relay.ts';

/**
 * Two relay instances on one fresh PostgreSQL schema with a 1 s lease and a fake OpenAI-compatible
 * upstream: a survivor in this process, and a child process (`hookrelay start`) to kill with SIGKILL.
 * Registers the suite's before and after hooks, which clean all of it up.
 */
export function survivorAndChild(tmpPrefix: string) {
  const schema = newSchema();
  const url = testDatabaseUrl ?? '';
  let fake: FakeOpenAI | undefined;
  let dataDir = '';
  let child: ChildRelay | undefined;
  let survivor: TestRelay | undefined;
  before(async () => {
    fake = await startFakeOpenAI();
    dataDir = await mkdtemp(join(tmpdir(), tmpPrefix));
  });
  after(async () => {
    if (child?.child.exitCode === null) child.child.kill('SIGKILL');
    await child?.exited;
    await survivor?.stop();
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropSchemas([schema]);
  });
  return {
    get fake(): FakeOpenAI {
      assert.ok(fake, 'the fake upstream starts before the tests');
      return fake;
    },
    async startSurvivor(sections: TestRelayOptions['sections']): Promise<TestRelay> {
      survivor = await startRelay({ driver: 'postgres', postgres: { url, schema, leaseSeconds: 1 }, sections });
      return survivor;
    },
    /** Starts the child with this config after its store section. */
    async spawnChild(configYaml: string): Promise<ChildRelay> {
      const store = `store: { driver: postgres, url: "${url}", schema: ${schema}, leaseSeconds: 1 }`;
      child = await spawnRelay({ dataDir, configYaml: `${store}\n${configYaml}` });
      return child;
    },
    /** Kills the child with SIGKILL and waits until it is gone. */
    async killChild(): Promise<void> {
      assert.ok(child, 'no child was started');
      child.child.kill('SIGKILL');
      assert.equal((await child.exited).signal, 'SIGKILL');
    },
  };
}
