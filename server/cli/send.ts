import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { Scheme, VerifyConfig } from '../config/types.ts';
import { signHeaders } from '../ingest/signers.ts';
import type { Command } from './command.ts';

const SCHEMES: Scheme[] = ['standard-webhooks', 'openai', 'github', 'stripe', 'shopify', 'hmac', 'none'];

export const sendCommand: Command = {
  name: 'send',
  summary: "sign a payload the way a source's scheme expects and POST it to the relay",
  usage:
    'hookrelay send --source NAME [--secret S] (--file payload.json | --data JSON) [--url URL] [--scheme S] [--id ID] [--header "K: V"]...',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
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
      },
    });
    if (!values.source || (!values.file && values.data === undefined)) {
      console.error(`usage: ${this.usage}`);
      return 2;
    }
    const config = loadConfig({ flags: { config: values.config } });
    const source = config.sources.find((s) => s.name === values.source);
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
    const verify: Pick<VerifyConfig, 'scheme'> & Partial<VerifyConfig> = { ...source?.verify, scheme };
    const headers: Record<string, string> = {
      'content-type': values['content-type'] ?? 'application/json',
      ...signHeaders({ verify, secret, body, id: values.id }),
    };
    for (const h of values.header ?? []) {
      const at = h.indexOf(':');
      if (at > 0) headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
    }
    const base = values.url ?? `http://${config.host}:${config.port}`;
    const url = /\/hooks\//.test(base) ? base : `${base.replace(/\/$/, '')}/hooks/${values.source}`;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      console.error(`hookrelay send: could not reach ${url} (${cause?.code ?? cause?.message ?? String(error)})`);
      return 1;
    }
    const text = await response.text();
    console.log(`${response.status} ${text}`);
    return response.ok ? 0 : 1;
  },
};
