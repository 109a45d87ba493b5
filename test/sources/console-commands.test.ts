import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { call, type SourceAnswer } from './source-client.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/hookrelay.js', import.meta.url));
// The console's own module (plain browser JS), loaded as is.
const MODULE = new URL('../../ui/lib/source-commands.js', import.meta.url).href;

interface Commands {
  sendCommand(source: { url: string; scheme: string; secret: string | null; name: string }): string | null;
  curlCommand(source: { url: string; scheme: string; secret: string | null; verify: object }): string;
}

const SOURCES: Array<{ name: string; insecure?: boolean; verify: Record<string, unknown> }> = [
  { name: 'sw', verify: { scheme: 'standard-webhooks' } },
  { name: 'oa', verify: { scheme: 'openai' } },
  { name: 'gh', verify: { scheme: 'github' } },
  { name: 'st', verify: { scheme: 'stripe', secrets: ["whsec_stripe's own"] } },
  { name: 'sh', verify: { scheme: 'shopify', secrets: ['shpss_client_secret'] } },
  { name: 'hx', verify: { scheme: 'hmac', header: 'X-Sig', algorithm: 'sha512', prefix: 'v=' } },
  { name: 'hb', verify: { scheme: 'hmac', header: 'X-Sig', encoding: 'base64', algorithm: 'sha1' } },
  { name: 'no', insecure: true, verify: { scheme: 'none' } },
];

describe("the Sources page's ready commands", () => {
  let relay: TestRelay;
  let commands: Commands;
  const made = new Map<string, SourceAnswer>();
  before(async () => {
    relay = await startRelay({ driver: 'memory' });
    commands = (await import(MODULE)) as Commands;
    for (const source of SOURCES) {
      const res = await call<SourceAnswer>(relay.url, ADMIN_TOKEN, 'POST', '/v1/sources', source);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      made.set(source.name, res.body);
    }
  });
  after(() => relay?.stop());

  const args = (s: SourceAnswer) => ({
    url: s.url,
    scheme: s.verify.scheme,
    secret: s.verify.secrets?.[0] ?? null,
    name: s.name,
    verify: s.verify,
  });

  for (const { name, verify } of SOURCES) {
    it(`signs a curl script that the relay accepts for a ${verify.scheme} source (${name})`, async () => {
      const source = made.get(name) as SourceAnswer;
      const { stdout, stderr } = await run('bash', ['-c', commands.curlCommand(args(source))]);
      const answer = JSON.parse(stdout) as { id?: string; error?: unknown };
      assert.match(answer.id ?? '', /^evt_/, `${stdout} ${stderr}`);
    });
  }

  for (const { name, verify } of SOURCES.filter((s) => s.verify.scheme !== 'hmac')) {
    it(`writes a hookrelay send command that the relay accepts for a ${verify.scheme} source (${name})`, async () => {
      const command = commands.sendCommand(args(made.get(name) as SourceAnswer)) ?? '';
      const { stdout } = await run('bash', ['-c', command.replace(/^npx hookrelay/, `"${process.execPath}" "${BIN}"`)]);
      assert.match(stdout, /^200 \{"id":"evt_/);
    });
  }

  it('offers no send command for hmac sources (send reads their header from a config file)', () => {
    assert.equal(commands.sendCommand(args(made.get('hx') as SourceAnswer)), null);
  });
});
