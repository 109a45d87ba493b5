// The plain Node side of the foreach bench: the same calls the `foreach` workflow makes (POST JSON to
// the receiver, 10 at a time, keep-alive), with nothing else. Prints {ms} for ROUNDS × ITEMS calls.
import { Agent, request } from 'node:http';

const url = new URL(process.env.FOREACH_URL ?? '');
const items = Number(process.env.FOREACH_ITEMS ?? 100);
const rounds = Number(process.env.FOREACH_ROUNDS ?? 10);
const concurrency = Number(process.env.FOREACH_CONCURRENCY ?? 10);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => {
        // What http.request does with an answer: parse a JSON body.
        JSON.parse(text);
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve();
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const started = performance.now();
for (let round = 0; round < rounds; round++) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items) {
        const index = next++;
        await post(JSON.stringify({ item: index, index }));
      }
    }),
  );
}
console.log(JSON.stringify({ ms: performance.now() - started }));
agent.destroy();
