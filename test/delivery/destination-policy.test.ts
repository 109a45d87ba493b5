import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../server/config/load.ts';
import { resolveDeliverySettings } from '../../server/delivery/config.ts';
import {
  createDestinationPolicy,
  DestinationRefusedError,
  destinationPolicyFromConfig,
  type Resolver,
} from '../../server/outbound/destination-policy.ts';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['203.0.113.10'],
  'internal.example.com': ['10.1.2.3'],
  'sneaky.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:169.254.169.254'],
  'mixed.example.com': ['203.0.113.11', '192.168.1.5'],
  'n8n.lan': ['192.168.1.20'],
};
const resolver: Resolver = async (host) => {
  const found = dns[host];
  if (!found) throw new Error('ENOTFOUND');
  return found;
};

const refused = async (policy: ReturnType<typeof createDestinationPolicy>, url: string, reason: RegExp) => {
  await assert.rejects(
    policy.check(url),
    (error: unknown) => error instanceof DestinationRefusedError && reason.test(error.message),
  );
};

describe('destination policy', () => {
  it('always refuses cloud metadata services, by name, by address and behind DNS', async () => {
    const open = createDestinationPolicy({ allow: ['169.254.0.0/16', 'sneaky.example.com'] }, resolver);
    await refused(open, 'http://169.254.169.254/latest/meta-data/', /metadata/);
    await refused(open, 'http://[fd00:ec2::254]/', /metadata/);
    await refused(open, 'http://metadata.google.internal/computeMetadata/v1/', /metadata/);
    await refused(open, 'http://sneaky.example.com/', /169\.254\.169\.254, which is a cloud metadata address/);
    await refused(open, 'http://mapped.example.com/', /metadata/);
  });

  it('lets everything else through when no lists are configured', async () => {
    const open = createDestinationPolicy({}, resolver);
    await open.check('http://127.0.0.1:8080/hook');
    await open.check('https://internal.example.com/hook');
    await open.check('https://hooks.example.com/hook');
  });

  it('refuses denied ranges by the resolved address, not only the host name', async () => {
    const locked = createDestinationPolicy({ deny: ['private', 'loopback', 'link-local'] }, resolver);
    await locked.check('https://hooks.example.com/');
    await refused(locked, 'https://internal.example.com/', /10\.1\.2\.3/);
    await refused(locked, 'https://mixed.example.com/', /192\.168\.1\.5/);
    await refused(locked, 'http://127.0.0.1:3000/', /deny/);
    await refused(locked, 'http://[::1]:3000/', /deny/);
  });

  it('with an allow list, sends only to listed hosts and networks', async () => {
    const policy = createDestinationPolicy(
      { allow: ['*.example.com', '192.168.1.0/24'], deny: ['internal.example.com'] },
      resolver,
    );
    await policy.check('https://hooks.example.com/');
    await policy.check('http://n8n.lan:5678/webhook/abc');
    await refused(policy, 'https://internal.example.com/', /deny/);
    await refused(policy, 'http://127.0.0.1/', /not on delivery.destinations.allow/);
    await refused(policy, 'http://nowhere.invalid/', /does not resolve/);
    await refused(policy, 'ftp://hooks.example.com/', /http and https/);
  });

  it('fails start-up with the key path for an unusable entry', () => {
    assert.throws(
      () => resolveDeliverySettings({ destinations: { deny: ['10.0.0.0/99'] } }),
      /delivery\.destinations\.deny\[0\]: .*prefix/,
    );
    assert.throws(
      () => resolveDeliverySettings({ destinations: { allow: ['not a host!'] } }),
      /delivery\.destinations\.allow\[0\]/,
    );
  });

  it('is built from the delivery section for other outbound requests', async () => {
    const policy = destinationPolicyFromConfig({ destinations: { deny: ['loopback'] } }, resolver);
    await policy.check('https://hooks.example.com/');
    await refused(policy, 'http://127.0.0.1:9/', /deny/);
    await refused(destinationPolicyFromConfig(undefined, resolver), 'http://169.254.169.254/', /metadata/);
  });
});

describe('the delivery config section', () => {
  it('fails loading with the key path for a value out of range', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-delivery-config-'));
    try {
      const file = join(dir, 'hookrelay.yaml');
      await writeFile(file, 'delivery:\n  timeoutMs: 5\n  destinations: { deny: [private] }\n');
      assert.throws(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }), /delivery\.timeoutMs/);
      await writeFile(file, 'delivery:\n  scheduleSeconds: [0, 60]\n  destinations: { deny: [private] }\n');
      const config = loadConfig({ flags: { config: file }, env: {}, cwd: dir });
      assert.deepEqual(resolveDeliverySettings(config.sections.delivery).scheduleMs, [0, 60_000]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
