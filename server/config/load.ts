import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Validator } from 'jsonschema';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { configSchema } from './schema.ts';
import { DEFAULTS, type RelayConfig, type SourceConfig } from './types.ts';

export interface LoadOptions {
  /** Command-line flags: they win over the environment, which wins over the file. */
  flags?: { config?: string; port?: string | number; host?: string; dataDir?: string };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${NAME} (or ${NAME:-default}) in every string; a missing variable names its key path. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string, file: string): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(path, `environment variable ${name} is not set (set it, or write \${${name}:-default})`, file);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`, file));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, path ? `${path}.${k}` : k, file)]));
  }
  return value;
}

function readConfigFile(file: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError('', `not valid YAML: ${doc.errors[0].message}`, file);
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError('', 'expected a mapping at the top level', file);
  const interpolated = interpolate(data, env, '', file) as Record<string, unknown>;
  const result = new Validator().validate(interpolated, configSchema, { nestedErrors: false });
  if (!result.valid) {
    const first = result.errors[0];
    const keyPath = first.property.replace(/^instance\.?/, '');
    throw new ConfigError(keyPath || '(top level)', first.message, file);
  }
  return interpolated;
}

function portFrom(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(where, `expected a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

function resolveSources(raw: unknown, file: string | null): SourceConfig[] {
  const list = (raw ?? []) as Array<Partial<SourceConfig> & { verify: Partial<SourceConfig['verify']> }>;
  const seen = new Set<string>();
  return list.map((source, i) => {
    const at = `sources[${i}]`;
    const name = source.name as string;
    if (seen.has(name)) throw new ConfigError(`${at}.name`, `duplicate source name "${name}"`, file ?? undefined);
    seen.add(name);
    return {
      name,
      insecure: source.insecure ?? false,
      description: source.description,
      verify: {
        ...source.verify,
        scheme: source.verify.scheme as SourceConfig['verify']['scheme'],
        secrets: source.verify.secrets ?? [],
        toleranceSeconds: source.verify.toleranceSeconds ?? DEFAULTS.toleranceSeconds,
      },
    };
  });
}

/** Resolves config once, from flags, environment, file and defaults; throws ConfigError with the fix. */
export function loadConfig(options: LoadOptions = {}): RelayConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const named = flags.config ?? env.HOOKRELAY_CONFIG;
  let file: string | null = null;
  if (named) {
    file = resolve(cwd, named);
    if (!existsSync(file)) throw new ConfigError('', 'config file not found', file);
  } else if (existsSync(resolve(cwd, 'hookrelay.yaml'))) {
    file = resolve(cwd, 'hookrelay.yaml');
  }
  const sections = file ? readConfigFile(file, env) : {};
  const store = (sections.store ?? {}) as { driver?: 'lowdb' | 'memory'; retention?: Partial<RelayConfig['store']['retention']> };
  const limits = (sections.limits ?? {}) as Partial<RelayConfig['limits']>;
  return {
    file,
    port: portFrom(flags.port, '--port') ?? portFrom(env.PORT, 'PORT') ?? DEFAULTS.port,
    host: flags.host ?? env.HOST ?? DEFAULTS.host,
    dataDir: resolve(cwd, flags.dataDir ?? env.HOOKRELAY_DATA_DIR ?? DEFAULTS.dataDir),
    sources: resolveSources(sections.sources, file),
    store: {
      driver: store.driver ?? 'lowdb',
      retention: { ...DEFAULTS.retention, ...store.retention },
    },
    limits: {
      bodyBytes: limits.bodyBytes ?? DEFAULTS.bodyBytes,
      jsonBodyBytes: limits.jsonBodyBytes ?? DEFAULTS.jsonBodyBytes,
      rejections: limits.rejections ?? DEFAULTS.rejections,
    },
    sections,
  };
}
