import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Validator } from 'jsonschema';
import { parseDocument } from 'yaml';
import { ConfigError, ConfigProblems } from '../errors.ts';
import { toPlain } from './yaml-plain.ts';
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

/**
 * Parses, interpolates and validates one file; every problem is reported (not only the first), each
 * as `file:line:col: key.path: what was expected`.
 */
function readConfigFile(file: string, env: NodeJS.ProcessEnv): FileConfig {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true, lineCounter: lines });
  const yamlProblems = doc.errors.map(
    (e) => new ConfigError('', `not valid YAML: ${e.message.split('\n')[0]}`, file, e.linePos?.[0]),
  );
  throwAll(yamlProblems);
  const fail = (keyPath: string, problem: string) => new ConfigError(keyPath, problem, file, locate(doc, lines, keyPath));
  const plain = toPlain(doc);
  if (!plain.ok) throw new ConfigError('', plain.message, file, lines.linePos(plain.offset));
  const data = plain.value ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw fail('', 'expected a mapping (key: value) at the top level');
  const { value, coerce, problems } = interpolate(data, env, fail);
  const sections = value as Record<string, unknown>;
  const result = new Validator().validate(sections, configSchema, { nestedErrors: false, preValidateProperty: coerce });
  const reported = new Set(problems.map((p) => p.keyPath));
  for (const error of result.errors) {
    const keyPath = keyPathOf(error) || '(top level)';
    // A missing variable leaves an empty string behind: one problem for it is enough.
    if (!reported.has(keyPath)) problems.push(fail(keyPath, expectation(error)));
  }
  const invalid = (i: number) => problems.some((p) => p.keyPath.startsWith(`sources[${i}]`));
  const sources = Array.isArray(sections.sources) ? resolveSources(sections.sources, invalid) : { sources: [], problems: [] };
  problems.push(...sources.problems.map((error) => error.in(file, locate(doc, lines, error.keyPath))));
  throwAll(problems);
  return { sections, sources: sources.sources };
}

/** In file order, as an editor would walk them. */
function throwAll(problems: ConfigError[]): void {
  const at = (p: ConfigError) => (p.position ? p.position.line * 1e6 + p.position.col : 0);
  const error = ConfigProblems.of([...problems].sort((a, b) => at(a) - at(b)));
  if (error) throw error;
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

/** Resolves every source the schema passed (`skip`: those it did not), collecting each one's problem. */
function resolveSources(list: SourceInput[], skip: (index: number) => boolean) {
  const seen = new Set<string>();
  const sources: SourceConfig[] = [];
  const problems: ConfigError[] = [];
  list.forEach((source, i) => {
    if (skip(i)) return;
    if (seen.has(source.name)) {
      problems.push(new ConfigError(`sources[${i}].name`, `duplicate source name "${source.name}"`));
      return;
    }
    seen.add(source.name);
    try {
      sources.push(resolveSource(source, i));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
    }
  });
  return { sources, problems };
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
      jsonDepth: limits.jsonDepth ?? DEFAULTS.jsonDepth,
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
