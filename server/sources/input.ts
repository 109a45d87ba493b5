import { Validator } from 'jsonschema';
import { resolveSource, type SourceInput } from '../config/load.ts';
import { expectation, keyPathOf } from '../config/problems.ts';
import { sourceSchema } from '../config/schema.ts';
import type { SourceConfig } from '../config/types.ts';
import { ConfigError, RelayError } from '../errors.ts';

// Sources sent to the API pass the same schema and the same verifier checks as sources in the config
// file (server/config/schema.ts, resolveSource); only the way problems are reported differs.

interface Problem {
  path: string;
  problem: string;
}

function refuse(problems: Problem[]): RelayError {
  const message = problems.map((p) => (p.path ? `${p.path}: ${p.problem}` : p.problem)).join('; ');
  return new RelayError('invalid_request', message, { problems });
}

/** Validates a whole source (name, verify, insecure, description); returns it with its defaults applied. */
export function validateSource(body: unknown): SourceConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw refuse([{ path: '', problem: 'expected a JSON object {name, verify: {scheme, secrets?}, insecure?}' }]);
  }
  const result = new Validator().validate(body, sourceSchema, { nestedErrors: false });
  if (!result.valid) throw refuse(result.errors.map((e) => ({ path: keyPathOf(e), problem: expectation(e) })));
  const input = body as SourceInput;
  if (input.enrich) {
    throw refuse([{ path: 'enrich', problem: 'enrichment is configured in the config file only (it names ai.upstreams)' }]);
  }
  try {
    return resolveSource(input, 0);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The verifiers name the place as in the config file (`sources[0].verify...`): here it is the body.
    throw refuse([{ path: error.keyPath.replace(/^sources\[0\]\.?/, ''), problem: error.problem }]);
  }
}

/** `{secret?, overlap_seconds?}` of a rotation; overlap defaults to 24 h and is at most 7 days. */
export function rotationInput(body: unknown): { secret?: string; overlapSeconds: number } {
  const { secret, overlap_seconds: overlap = DEFAULT_OVERLAP_SECONDS } = (body ?? {}) as Record<string, unknown>;
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
    throw refuse([{ path: 'secret', problem: 'expected a non-empty string' }]);
  }
  if (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0 || overlap > MAX_OVERLAP_SECONDS) {
    throw refuse([{ path: 'overlap_seconds', problem: `expected a whole number of seconds from 0 to ${MAX_OVERLAP_SECONDS}` }]);
  }
  return { secret, overlapSeconds: overlap };
}

export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 7 * 86_400;
