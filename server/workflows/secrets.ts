import { ConfigError } from '../errors.ts';

// `workflows.secrets`: environment variables expressions read as `secrets.NAME`. Whatever a run stores
// or logs (step outputs, errors, foreach items, callbacks, emitted events, plugin logs) goes through
// `redact`, which replaces every secret value, also inside a larger string, with `[secret:NAME]`.

/** Shorter values cannot be told apart from ordinary text in outputs: refused at start-up. */
export const MIN_SECRET_LENGTH = 6;

export const secretMarker = (name: string) => `[secret:${name}]`;

/** The listed variables' values, read once at start-up; a value that is too short stops the relay. */
export function readSecrets(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value === undefined) continue;
    if (value.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        'workflows.secrets',
        `${name} is shorter than ${MIN_SECRET_LENGTH} characters; such a value cannot be redacted safely`,
      );
    }
    out[name] = value;
  }
  return out;
}

/** Identity when there are no secrets; otherwise a deep copy with every secret (and its escaped forms) replaced. */
export function redactor(secrets: Record<string, string>): <T>(value: T) => T {
  const forms: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(secrets)) {
    const marker = secretMarker(name);
    // As written, as inside JSON text, and URL-encoded (a query string).
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]))
      forms.push([form, marker]);
  }
  // Longest first, so a secret containing another is replaced whole.
  forms.sort((a, b) => b[0].length - a[0].length);
  if (forms.length === 0) return (value) => value;
  const inString = (text: string): string => {
    let out = text;
    for (const [form, marker] of forms) if (out.includes(form)) out = out.split(form).join(marker);
    return out;
  };
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return inString(value);
    if (value === null || typeof value !== 'object' || depth > 512) return value;
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (value instanceof Error) return Object.assign(new Error(inString(value.message)), { name: value.name });
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[inString(key)] = walk(inner, depth + 1);
    return out;
  };
  return <T>(value: T) => walk(value, 0) as T;
}
