import type { Clock } from '../clock.ts';
import type { SourceConfig } from '../config/types.ts';
import { RelayError } from '../errors.ts';
import type { Table } from '../store/table.ts';
import { rotationInput, validateSource } from './input.ts';
import type { SourceRegistry } from './registry.ts';
import { canGenerateSecret, generateSecret } from './secrets.ts';
import { liveSecrets, type SourceRow } from './source-row.ts';

/** Bounds of the API (README limits table). */
export const MAX_RUNTIME_SOURCES = 1000;
export const MAX_SECRETS = 10;

/** Create, change, rotate and delete the sources made through the API. Errors carry codes. */
export class SourceService {
  readonly #table: Table<SourceRow>;
  readonly #registry: SourceRegistry;
  readonly #clock: Clock;

  constructor(options: { table: Table<SourceRow>; registry: SourceRegistry; clock: Clock }) {
    this.#table = options.table;
    this.#registry = options.registry;
    this.#clock = options.clock;
  }

  /** Makes a source; a secret is generated for the schemes that allow it when none is sent. */
  async create(body: unknown): Promise<SourceRow> {
    const input = withGeneratedSecret(body);
    const source = validateSource(input);
    if (this.#registry.configSource(source.name)) {
      throw new RelayError('source_exists', `The config file defines a source named "${source.name}".`);
    }
    if (this.#registry.runtimeCount >= MAX_RUNTIME_SOURCES) {
      throw new RelayError('conflict', `At most ${MAX_RUNTIME_SOURCES} sources can be made through the API; delete one first.`);
    }
    const now = this.#isoNow();
    const row = rowOf(source, { created_at: now, updated_at: now });
    // insertNew: with several instances the store decides which of two creations of one name came first.
    const [inserted] = await this.#table.insertNew([row]);
    if (!inserted) throw new RelayError('source_exists', `A source named "${source.name}" exists already.`);
    this.#registry.refresh(row.id);
    return row;
  }

  /** Changes description, insecure or verify settings; `verify.secrets` replaces every secret at once. */
  async update(name: string, body: unknown): Promise<SourceRow> {
    const row = this.#writable(name);
    const patch = (body ?? {}) as Record<string, unknown>;
    if (typeof patch !== 'object' || Array.isArray(patch)) throw new RelayError('invalid_request', 'Expected a JSON object.');
    if (patch.name !== undefined && patch.name !== name) {
      throw new RelayError('invalid_request', 'name: a source cannot be renamed (its name is its URL); make a new one.');
    }
    if (
      patch.verify !== undefined &&
      (typeof patch.verify !== 'object' || patch.verify === null || Array.isArray(patch.verify))
    ) {
      throw new RelayError('invalid_request', 'verify: expected an object of the settings to change.');
    }
    const verify = (patch.verify ?? {}) as Record<string, unknown>;
    const secrets = liveSecrets(row, this.#clock.now()).map((entry) => entry.secret);
    const merged = {
      name,
      description: 'description' in patch ? patch.description : row.description,
      insecure: 'insecure' in patch ? patch.insecure : row.insecure,
      verify: { ...row.verify, secrets, ...verify },
    };
    if (merged.description === undefined || merged.description === null) delete merged.description;
    const source = validateSource(merged);
    const next = rowOf(source, { created_at: row.created_at, updated_at: this.#isoNow() });
    if (!Array.isArray(verify.secrets)) next.secrets = liveSecrets(row, this.#clock.now());
    return this.#save(next);
  }

  /** A new current secret; the ones before it keep verifying for `overlap_seconds` (default 24 h). */
  async rotate(name: string, body: unknown): Promise<SourceRow> {
    const row = this.#writable(name);
    const { secret: given, overlapSeconds } = rotationInput(body);
    if (row.verify.scheme === 'none') throw new RelayError('invalid_request', `Source "${name}" has no secret (scheme none).`);
    if (!given && !canGenerateSecret(row.verify.scheme)) {
      throw new RelayError(
        'invalid_request',
        `secret: ${row.verify.scheme} issues its own secrets; send the new one as "secret".`,
      );
    }
    const secret = given ?? generateSecret();
    const now = this.#clock.now();
    const until = new Date(now + overlapSeconds * 1000).toISOString();
    const previous = liveSecrets(row, now)
      .map((entry) => ({
        secret: entry.secret,
        expires_at: entry.expires_at && entry.expires_at < until ? entry.expires_at : until,
      }))
      .filter((entry) => overlapSeconds > 0 || entry.expires_at > new Date(now).toISOString());
    // The new secret is checked as the file's would be (a whsec_ secret for standard-webhooks, say).
    validateSource({ name, insecure: row.insecure, verify: { ...row.verify, secrets: [secret] } });
    const next: SourceRow = {
      ...row,
      secrets: [{ secret, expires_at: null }, ...previous].slice(0, MAX_SECRETS),
      updated_at: new Date(now).toISOString(),
    };
    return this.#save(next);
  }

  /** Stops accepting webhooks for the source at once; its stored events stay until retention. */
  async remove(name: string): Promise<SourceRow> {
    const row = this.#writable(name);
    await this.#table.delete(name);
    this.#registry.refresh(name);
    return row;
  }

  #writable(name: string): SourceRow {
    if (this.#registry.configSource(name)) {
      throw new RelayError('source_read_only', `Source "${name}" comes from the config file; change it there and restart.`);
    }
    const row = this.#registry.runtimeSource(name);
    if (!row) throw new RelayError('not_found', `No source named "${name}".`);
    return row;
  }

  async #save(row: SourceRow): Promise<SourceRow> {
    await this.#table.put(row);
    this.#registry.refresh(row.id);
    return row;
  }

  #isoNow(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function withGeneratedSecret(body: unknown): unknown {
  const input = body as { verify?: { scheme?: unknown; secrets?: unknown } } | null;
  const verify = input?.verify;
  if (!verify || typeof verify !== 'object' || verify.secrets !== undefined) return body;
  if (typeof verify.scheme !== 'string' || !canGenerateSecret(verify.scheme as SourceConfig['verify']['scheme'])) return body;
  return { ...input, verify: { ...verify, secrets: [generateSecret()] } };
}

function rowOf(source: SourceConfig, times: { created_at: string; updated_at: string }): SourceRow {
  const { secrets, ...verify } = source.verify;
  const row: SourceRow = {
    id: source.name,
    name: source.name,
    insecure: source.insecure,
    verify,
    secrets: secrets.map((secret) => ({ secret, expires_at: null })),
    ...times,
  };
  if (source.description !== undefined) row.description = source.description;
  return row;
}
