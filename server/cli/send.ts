import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { RelayConfig, Scheme, SourceConfig, VerifyConfig } from '../config/types.ts';
import { signHeaders } from '../ingest/signers.ts';
import type { Command } from './command.ts';

const SCHEMES: Scheme[] = ['standard-webhooks', 'openai', 'github', 'stripe', 'shopify', 'hmac', 'none'];

const OPTIONS = {
  source: { type: 'string' },
  secret: { type: 'string' },
  file: { type: 'string' },
  data: { type: 'string' },
  url: { type: 'string' },
  scheme: { type: 'string' },
  id: { type: 'string' },
  header: { type: 'string', multiple: true },
  config: { type: 'string' },
  'content-type': { type: 'string' },
} as const;

type SendOptions = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

export const sendCommand: Command = {
  name: 'send',
  summary: "sign a payload the way a source's scheme expects and POST it to the relay",
  usage:
    'hookrelay send --source NAME [--secret S] (--file F | --data JSON) [--url URL] [--scheme S] [--id ID] [--header "K: V"]... [--config FILE] [--content-type T]',
  options: OPTIONS,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
    if (!values.source || (!values.file && values.data === undefined)) {
      console.error(`usage: ${this.usage}`);
      return 2;
    }
    const config = relayConfig(values);
    const source = config?.sources.find((s) => s.name === values.source);
    const scheme = (values.scheme ?? source?.verify.scheme) as Scheme | undefined;
    if (!scheme || !SCHEMES.includes(scheme)) {
      console.error(`hookrelay send: source "${values.source}" is not in the config; give --scheme (${SCHEMES.join(', ')})`);
      return 2;
    }
    const secret = values.secret ?? source?.verify.secrets[0] ?? '';
    if (!secret && scheme !== 'none') {
      console.error('hookrelay send: give --secret (or configure the source with a secret)');
      return 2;
    }
    const body = values.file ? await readFile(values.file) : Buffer.from(values.data ?? '');
    const headers = requestHeaders(values, { ...source?.verify, scheme }, secret, body);
    return post(hookUrl(values, config), headers, body);
  },
};

/**
 * The config the relay would read, for the source's scheme, secret and address. With --scheme and
 * --secret given it is optional: a local config that cannot load (say, a server's file whose variables
 * are not set here) does not stop a send that does not need it.
 */
function relayConfig(values: SendOptions): RelayConfig | null {
  const selfSufficient = Boolean(values.scheme && (values.secret || values.scheme === 'none'));
  try {
    return loadConfig({ flags: { config: values.config } });
  } catch (error) {
    if (selfSufficient && !values.config) return null;
    throw error;
  }
}

function requestHeaders(
  values: SendOptions,
  verify: Partial<SourceConfig['verify']> & Pick<VerifyConfig, 'scheme'>,
  secret: string,
  body: Buffer,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': values['content-type'] ?? 'application/json',
    ...signHeaders({ verify, secret, body, id: values.id }),
  };
  for (const h of values.header ?? []) {
    const at = h.indexOf(':');
    if (at > 0) headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  return headers;
}

function hookUrl(values: SendOptions, config: RelayConfig | null): string {
  const base = values.url ?? (config ? `http://${config.host}:${config.port}` : `http://127.0.0.1:${process.env.PORT || 8080}`);
  return /\/hooks\//.test(base) ? base : `${base.replace(/\/$/, '')}/hooks/${values.source}`;
}

async function post(url: string, headers: Record<string, string>, body: Buffer<ArrayBuffer>): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    console.error(`hookrelay send: could not reach ${url} (${cause?.code ?? cause?.message ?? String(error)})`);
    return 1;
  }
  console.log(`${response.status} ${await response.text()}`);
  return response.ok ? 0 : 1;
}
