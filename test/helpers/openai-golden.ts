/**
 * openai-node's recorded webhook delivery: the body has spaces after ':' and ',' and must verify byte
 * for byte as sent. `at` is the signed timestamp (seconds).
 */
export const OPENAI_GOLDEN = {
  secret: 'whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=',
  body: '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}',
  headers: {
    'webhook-id': 'wh_685c059ae39c8190af8c71ed1022a24d',
    'webhook-timestamp': '1750861210',
    'webhook-signature': 'v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=',
  },
  at: 1750861210,
};
