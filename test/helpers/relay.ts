import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../server/clock.ts';
import { DEFAULTS, type RelayConfig, type SourceConfig } from '../../server/config/types.ts';
import type { SubsystemFactory } from '../../server/subsystem.ts';
import { createRelay, type Relay } from '../../server/main.ts';
import type { Resolver } from '../../server/outbound/destination-policy.ts';
import { createLogger } from '../../server/ops/logger.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestSource {
  name: string;
  insecure?: boolean;
  enrich?: SourceConfig['enrich'];
  verify: Partial<SourceConfig['verify']> & { scheme: SourceConfig['verify']['scheme'] };
}

export interface TestRelayOptions {
  sources?: TestSource[];
  driver?: 'lowdb' | 'memory' | 'postgres';
  /** For the postgres driver: where the relay keeps its tables, and its claims' lease. */
  postgres?: { url: string; schema?: string; leaseSeconds?: number };
  dataDir?: string;
  /** A fixed port (to start a relay again where clients expect it); 0, any free port, by default. */
  port?: number;
  sections?: Record<string, unknown>;
  clock?: Clock;
  fetch?: typeof fetch;
  /** How outbound requests resolve host names: map test names to local addresses, never the network. */
  resolver?: Resolver;
  subsystems?: SubsystemFactory[];
  limits?: Partial<RelayConfig['limits']>;
  retention?: Partial<RelayConfig['store']['retention']>;
}

export interface TestRelay {
  relay: Relay;
  url: string;
  dataDir: string;
  /** Authorization header for the admin token. */
  auth: { authorization: string };
  stop(): Promise<void>;
}

/** A real relay on 127.0.0.1 port 0 with its own temporary data dir (removed on stop). */
export async function startRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'hookrelay-test-')));
  const config: RelayConfig = {
    file: null,
    port: options.port ?? 0,
    host: '127.0.0.1',
    dataDir,
    sources: (options.sources ?? []).map((s) => ({
      insecure: false,
      ...s,
      verify: {
        ...s.verify,
        secrets: s.verify.secrets ?? [],
        toleranceSeconds: s.verify.toleranceSeconds ?? DEFAULTS.toleranceSeconds,
      },
    })),
    store: {
      driver: options.driver ?? 'lowdb',
      retention: { ...DEFAULTS.retention, ...options.retention },
      ...options.postgres,
    },
    limits: {
      bodyBytes: DEFAULTS.bodyBytes,
      jsonBodyBytes: DEFAULTS.jsonBodyBytes,
      rejections: DEFAULTS.rejections,
      jsonDepth: DEFAULTS.jsonDepth,
      ...options.limits,
    },
    sections: options.sections ?? {},
  };
  const relay = await createRelay({
    config,
    adminToken: ADMIN_TOKEN,
    logger: createLogger({ level: process.env.HOOKRELAY_TEST_LOG ?? 'silent' }),
    clock: options.clock,
    fetch: options.fetch,
    resolver: options.resolver,
    subsystems: options.subsystems,
    drainMs: 2000,
  });
  const url = await relay.start();
  return {
    relay,
    url,
    dataDir,
    auth: { authorization: `Bearer ${ADMIN_TOKEN}` },
    async stop() {
      await relay.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
