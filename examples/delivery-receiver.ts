// A minimal receiver for hookrelay deliveries: verifies the Standard Webhooks signature on the raw
// bytes, de-duplicates by webhook-id, and answers 2xx only once the message is handled.
// Run: ENDPOINT_SECRET=whsec_... node examples/delivery-receiver.ts   (then point an endpoint at :4000)
import { createServer } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

const webhook = new Webhook(process.env.ENDPOINT_SECRET ?? '');
const seen = new Set<string>(); // use your database in real code

createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  let payload: unknown;
  try {
    payload = webhook.verify(body, req.headers as Record<string, string>);
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      res.writeHead(401).end('bad signature');
      return;
    }
    payload = body; // verified, but not JSON (form posts and the like are relayed as sent)
  }
  const id = String(req.headers['webhook-id']);
  if (!seen.has(id)) {
    seen.add(id);
    console.log(req.headers['x-hookrelay-source'], req.headers['x-hookrelay-event-type'], payload);
  }
  res.writeHead(204).end();
}).listen(4000, '127.0.0.1', () => console.log('listening on http://127.0.0.1:4000'));
