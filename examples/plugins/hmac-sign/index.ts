// An example third-party step plugin: signs a value with HMAC so a workflow can call an API that wants
// a signature header. It imports only the plugin SDK (types and helpers), nothing else from the relay.
// Load it with `workflows.plugins: [./examples/plugins/hmac-sign]` in the config.
import { createHmac } from 'node:crypto';
import { definePlugin } from '../../../plugins/sdk.ts';

interface HmacParams {
  /** The value to sign: strings as they are, anything else as JSON. */
  data: unknown;
  secret: string;
  algorithm?: 'sha256' | 'sha512';
  encoding?: 'hex' | 'base64';
}

export default definePlugin<HmacParams>({
  name: 'crypto.hmac',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Outputs {payload, signature} where signature = HMAC(secret, payload).',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['data', 'secret'],
    properties: {
      data: {},
      secret: { type: 'string', minLength: 1 },
      algorithm: { enum: ['sha256', 'sha512'] },
      encoding: { enum: ['hex', 'base64'] },
    },
  },
  async run(ctx, params) {
    if (!params.secret) throw new Error('crypto.hmac: secret is empty (is the env variable set?)');
    const payload = typeof params.data === 'string' ? params.data : JSON.stringify(params.data);
    const algorithm = params.algorithm ?? 'sha256';
    const signature = createHmac(algorithm, params.secret)
      .update(payload)
      .digest(params.encoding ?? 'hex');
    ctx.logger.debug({ algorithm, bytes: payload.length }, 'signed a payload');
    return { payload, signature: `${algorithm}=${signature}` };
  },
});
