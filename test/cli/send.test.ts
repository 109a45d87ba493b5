import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { runCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';

const ADMIN = 'hra_admin_token_that_must_never_be_logged';
const SECRETS = {
  sw: 'whsec_c2VjcmV0IGZvciB0aGUgc2VuZCB0ZXN0cw==',
  gh: 'github-secret-that-must-never-be-logged',
  st: 'whsec_stripe_secret_never_logged',
  shop: 'shopify-secret-never-logged',
  custom: 'hmac-secret-never-logged',
};
const CONFIG = `sources:
  - name: sw
    verify: { scheme: standard-webhooks, secrets: ["${SECRETS.sw}"] }
  - name: gh
    verify: { scheme: github, secrets: ["\${GH_SECRET}"] }
  - name: st
    verify: { scheme: stripe, secrets: ["${SECRETS.st}"] }
  - name: shop
    verify: { scheme: shopify, secrets: ["${SECRETS.shop}"] }
  - name: custom
    verify: { scheme: hmac, secrets: ["${SECRETS.custom}"], header: X-Signature, algorithm: sha512, encoding: base64, prefix: "v=" }
`;

describe('hookrelay send against a relay in a child process', () => {
  let dir: string;
  let relay: ChildRelay;
  let configFile: string;
  let payloadFile: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-send-'));
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    relay = await spawnRelay({ dataDir, configYaml: CONFIG, adminToken: ADMIN, env: { GH_SECRET: SECRETS.gh } });
    configFile = join(dataDir, 'hookrelay.yaml');
    payloadFile = join(dir, 'payload.json');
    await writeFile(payloadFile, '{ "id": "evt_send_1", "type": "demo.created",  "n": 1 }\n');
  });
  after(async () => {
    relay.child.kill('SIGTERM');
    await relay.exited;
    await rm(dir, { recursive: true, force: true });
  });

  const send = (args: string[]) =>
    runCli(['send', '--url', relay.url, '--file', payloadFile, ...args], { cwd: dir, env: { GH_SECRET: SECRETS.gh } });
  async function event(id: string) {
    const res = await fetch(`${relay.url}/v1/events/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    return (await res.json()) as { source: string; type: string; payload: unknown; verified: { scheme: string } };
  }
  function accepted(stdout: string): string {
    const match = /^200 (\{.*\})$/m.exec(stdout);
    assert.ok(match, stdout);
    return (JSON.parse(match[1]) as { id: string }).id;
  }

  it('signs a Standard Webhooks message with the given secret and the relay stores it', async () => {
    const { code, stdout } = await send(['--source', 'sw', '--scheme', 'standard-webhooks', '--secret', SECRETS.sw]);
    assert.equal(code, 0, stdout);
    const stored = await event(accepted(stdout));
    assert.deepEqual([stored.source, stored.type, stored.verified.scheme], ['sw', 'demo.created', 'standard-webhooks']);
    assert.deepEqual(stored.payload, { id: 'evt_send_1', type: 'demo.created', n: 1 });
  });

  it('signs a GitHub delivery with the scheme and secret from the config file, with extra headers', async () => {
    const { code, stdout } = await send(['--source', 'gh', '--config', configFile, '--header', 'X-GitHub-Event: push']);
    assert.equal(code, 0, stdout);
    const stored = await event(accepted(stdout));
    assert.deepEqual([stored.source, stored.type, stored.verified.scheme], ['gh', 'push', 'github']);
  });

  it('signs stripe, shopify and generic hmac messages from the config file', async () => {
    for (const source of ['st', 'shop', 'custom']) {
      const { code, stdout } = await send(['--source', source, '--config', configFile, '--id', `id-${source}`]);
      assert.equal(code, 0, `${source}: ${stdout}`);
      assert.equal((await event(accepted(stdout))).source, source);
    }
  });

  it('needs no local config with --scheme and --secret, even where a config that cannot load sits', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(
      join(elsewhere, 'hookrelay.yaml'),
      `sources:\n  - name: gh\n    verify: { scheme: github, secrets: ["\${NOT_SET_HERE}"] }\n`,
    );
    const args = [
      'send',
      '--source',
      'gh',
      '--scheme',
      'github',
      '--secret',
      SECRETS.gh,
      '--file',
      payloadFile,
      '--url',
      relay.url,
    ];
    const { code, stdout } = await runCli(args, { cwd: elsewhere });
    assert.equal(code, 0, stdout);
    assert.equal((await event(accepted(stdout))).source, 'gh');
    const { code: without, stderr } = await runCli(['send', '--source', 'gh', '--file', payloadFile, '--url', relay.url], {
      cwd: elsewhere,
    });
    assert.equal(without, 1);
    assert.match(stderr, /NOT_SET_HERE is not set/);
  });

  it('exits 1 and prints the refusal when the secret is wrong', async () => {
    const { code, stdout } = await send(['--source', 'gh', '--scheme', 'github', '--secret', 'wrong']);
    assert.equal(code, 1);
    assert.match(stdout, /^401 .*signature_invalid/m);
  });

  it('exits 1 naming the URL when nothing listens there', async () => {
    // A port that was free a moment ago: listen on port 0, note it, close it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const args = ['send', '--source', 'gh', '--scheme', 'github', '--secret', 's', '--data', '{}', '--url', url];
    const { code, stderr } = await runCli(args, { cwd: dir });
    assert.equal(code, 1);
    assert.equal(stderr.trim(), `hookrelay send: could not reach ${url}/hooks/gh (ECONNREFUSED)`);
  });

  it('exits 2 with usage when the source or payload is missing', async () => {
    const { code, stderr } = await runCli(['send', '--source', 'sw'], { cwd: dir });
    assert.equal(code, 2);
    assert.match(stderr, /usage: hookrelay send/);
  });

  it('never writes a configured secret or the admin token to its logs', async () => {
    await fetch(`${relay.url}/v1/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
    await fetch(`${relay.url}/v1/events`, { headers: { authorization: `Bearer ${SECRETS.gh}` } });
    await fetch(`${relay.url}/hooks/gh`, { method: 'POST', headers: { 'x-hub-signature-256': SECRETS.gh }, body: '{}' });
    // The child's log lines travel through a pipe: wait for the refusal's line rather than race it.
    await waitFor('the refusal to be logged', () =>
      relay.logs.some((l) => l.msg === 'webhook refused' && l.source === 'gh' && l.code === 'signature_invalid'),
    );
    const output = relay.output();
    assert.ok(output.includes('hookrelay is listening'), 'the logs were captured');
    for (const secret of [ADMIN, ...Object.values(SECRETS)]) assert.ok(!output.includes(secret), `${secret.slice(0, 8)}… leaked`);
  });
});
