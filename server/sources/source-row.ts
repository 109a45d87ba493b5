import type { SourceConfig, VerifyConfig } from '../config/types.ts';

/** One signing secret of a source made through the API; an old one stays valid until `expires_at`. */
export interface SecretEntry {
  secret: string;
  /** null: the current secret. */
  expires_at: string | null;
}

/** A source made at runtime (POST /v1/sources), as the `sources` table keeps it; `id` is the name. */
export interface SourceRow {
  id: string;
  name: string;
  description?: string;
  insecure: boolean;
  verify: Omit<VerifyConfig, 'secrets'>;
  /** Newest first. */
  secrets: SecretEntry[];
  created_at: string;
  updated_at: string;
}

const expiry = (entry: SecretEntry) => (entry.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(entry.expires_at));

/** The secrets that still verify at `now`. */
export function liveSecrets(row: SourceRow, now: number): SecretEntry[] {
  return row.secrets.filter((entry) => expiry(entry) > now);
}

/** When the next old secret stops verifying (Infinity when none will). */
export function nextExpiry(row: SourceRow, now: number): number {
  return Math.min(...liveSecrets(row, now).map(expiry), Number.POSITIVE_INFINITY);
}

/** The row as the verifiers see a source: only the secrets valid at `now`. */
export function sourceConfigOf(row: SourceRow, now: number): SourceConfig {
  return {
    name: row.name,
    insecure: row.insecure,
    description: row.description,
    verify: { ...row.verify, secrets: liveSecrets(row, now).map((entry) => entry.secret) },
  };
}
