import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Validator } from 'jsonschema';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { createVerifier } from '../ingest/verifiers/index.ts';
import { interpolate } from './interpolate.ts';
import { expectation, keyPathOf, LineCounter, locate } from './problems.ts';
import { configSchema } from './schema.ts';
import type { RetentionPolicy } from '../store/types.ts';
import { DEFAULTS, type RelayConfig, type SourceConfig, type StoreConfig } from './types.ts';

export interface LoadOptions {
  /** Command-line flags: they win over the environment, which wins over the file. */
  flags?: { config?: string; port?: string | number; host?: string; dataDir?: string };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

interface FileConfig {
  sections: Record<string, unknown>;
  sources: SourceConfig[];
}

/** Parses, interpolates and validates one file; every problem names file:line:col and the key path. */
function readConfigFile(file: string, env: NodeJS.ProcessEnv): FileConfig {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const [first] = doc.errors;
    throw new ConfigError('', `not valid YAML: ${first.message.split('\n')[0]}`, file, first.linePos?.[0]);
  }
  const fail = (keyPath: string, problem: string) => new ConfigError(keyPath, problem, file, locate(doc, lines, keyPath));
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw fail('', 'expected a mapping (key: value) at the top level');
  const { value, coerce } = interpolate(data, env, fail);
  const sections = value as Record<string, unknown>;
  const result = new Validator().validate(sections, configSchema, { nestedErrors: false, preValidateProperty: coerce });
  if (!result.valid) {
    const [first] = result.errors;
    throw fail(keyPathOf(first) || '(top level)', expectation(first));
  }
  try {
    return { sections, sources: resolveSources(sections.sources) };
  } catch (error) {
    if (error instanceof ConfigError) throw error.in(file, locate(doc, lines, error.keyPath));
    throw error;
  }
}

/** A source as written in the file (or sent to POST /v1/sources), after schema validation. */
export type SourceInput = Omit<SourceConfig, 'verify' | 'insecure'> & {
  insecure?: boolean;
  verify: Partial<SourceConfig['verify']>;
};

/**
 * Applies a source's defaults and builds its verifier once, so a bad secret fails here, not at first
 * use; problems are ConfigErrors whose key path starts `sources[index]`.
 */
export function resolveSource(source: SourceInput, index: number): SourceConfig {
  const resolved: SourceConfig = {
    name: source.name,
    insecure: source.insecure ?? false,
    description: source.description,
    enrich: source.enrich,
    verify: {
      ...source.verify,
      scheme: source.verify.scheme as SourceConfig['verify']['scheme'],
      secrets: source.verify.secrets ?? [],
      toleranceSeconds: source.verify.toleranceSeconds ?? DEFAULTS.toleranceSeconds,
    },
  };
  createVerifier(resolved, index);
  return resolved;
}

function resolveSources(raw: unknown): SourceConfig[] {
  const list = (raw ?? []) as SourceInput[];
  const seen = new Set<string>();
  return list.map((source, i) => {
    if (seen.has(source.name)) throw new ConfigError(`sources[${i}].name`, `duplicate source name "${source.name}"`);
    seen.add(source.name);
    return resolveSource(source, i);
  });
}

function portFrom(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(where, `expected a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

function configFile(named: string | undefined, cwd: string): string | null {
  if (named) {
    const file = resolve(cwd, named);
    if (!existsSync(file)) throw new ConfigError('', 'config file not found', file);
    return file;
  }
  const fallback = resolve(cwd, 'hookrelay.yaml');
  return existsSync(fallback) ? fallback : null;
}

/** Resolves config once, from flags, environment, file and defaults; throws ConfigError with the fix. */
export function loadConfig(options: LoadOptions = {}): RelayConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const file = configFile(flags.config ?? env.HOOKRELAY_CONFIG, cwd);
  const { sections, sources } = file ? readConfigFile(file, env) : { sections: {}, sources: [] };
  const store = (sections.store ?? {}) as StoreSection;
  const limits = (sections.limits ?? {}) as Partial<RelayConfig['limits']>;
  const server = sections as { port?: number; host?: string; dataDir?: string };
  return {
    file,
    port: portFrom(flags.port, '--port') ?? portFrom(env.PORT, 'PORT') ?? server.port ?? DEFAULTS.port,
    host: flags.host || env.HOST || server.host || DEFAULTS.host,
    dataDir: resolve(cwd, flags.dataDir || env.HOOKRELAY_DATA_DIR || server.dataDir || DEFAULTS.dataDir),
    sources,
    store: storeConfig(store, file),
    limits: {
      bodyBytes: limits.bodyBytes ?? DEFAULTS.bodyBytes,
      jsonBodyBytes: limits.jsonBodyBytes ?? DEFAULTS.jsonBodyBytes,
      rejections: limits.rejections ?? DEFAULTS.rejections,
    },
    sections,
  };
}

type StoreSection = Partial<Omit<StoreConfig, 'retention'>> & { retention?: Partial<RetentionPolicy> };

function storeConfig(store: StoreSection, file: string | null): StoreConfig {
  const driver = store.driver ?? 'lowdb';
  if (driver === 'postgres' && !store.url) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${ENV} syntax
    const hint = 'the postgres driver needs a connection URL, e.g. url: "${DATABASE_URL}"';
    throw new ConfigError('store.url', hint, file ?? undefined);
  }
  const config: StoreConfig = { driver, retention: { ...DEFAULTS.retention, ...store.retention } };
  if (store.url) config.url = store.url;
  if (store.schema) config.schema = store.schema;
  if (store.leaseSeconds !== undefined) config.leaseSeconds = store.leaseSeconds;
  return config;
}
