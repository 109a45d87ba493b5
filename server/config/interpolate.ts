import type { PreValidatePropertyFunction } from 'jsonschema';
import type { ConfigError } from '../errors.ts';

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

type Fail = (keyPath: string, problem: string) => ConfigError;

/**
 * Replaces ${NAME} (or ${NAME:-default}) in every string value; each missing (unset or empty) variable
 * is a problem with its key path (all of them are returned, so one run reports every one). Values that were one whole reference are remembered, so that `coerce` can
 * turn `bodyBytes: ${MAX_BODY}` into the number the schema asks for; text around a reference stays text.
 */
export function interpolate(data: unknown, env: NodeJS.ProcessEnv, fail: Fail) {
  const wholeRefs = new WeakMap<object, Set<string>>();
  const problems: ConfigError[] = [];
  function walk(value: unknown, path: string): unknown {
    if (typeof value === 'string') {
      return value.replace(ENV_REF, (_, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        problems.push(fail(path, `environment variable ${name} is not set (set it, or write \${${name}:-default})`));
        return '';
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      const refs = new Set<string>();
      for (const [key, v] of Object.entries(value)) {
        out[key] = walk(v, path ? `${path}.${key}` : key);
        if (typeof v === 'string' && WHOLE_REF.test(v)) refs.add(key);
      }
      if (refs.size > 0) wholeRefs.set(out, refs);
      return out;
    }
    return value;
  }
  const value = walk(data, '');
  const coerce: PreValidatePropertyFunction = (instance, key, schema) => {
    if (!wholeRefs.get(instance)?.has(key) || typeof instance[key] !== 'string') return;
    const text = (instance[key] as string).trim();
    const types = [schema.type].flat();
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(text)) instance[key] = Number(text);
    else if (types.includes('boolean') && (text === 'true' || text === 'false')) instance[key] = text === 'true';
  };
  return { value, coerce, problems };
}
