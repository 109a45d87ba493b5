// Background mode through hookrelay with the official openai SDK:
//   HOOKRELAY_ADMIN_TOKEN=$(cat data/admin-token) node examples/ai-background.ts llama3.1 "Write a haiku"
// Creates a background response, follows its stream, and resumes after a dropped connection.
import OpenAI from 'openai';

const [model = 'llama3.1', prompt = 'Write a haiku about webhooks'] = process.argv.slice(2);
const client = new OpenAI({
  apiKey: process.env.HOOKRELAY_ADMIN_TOKEN,
  baseURL: process.env.HOOKRELAY_URL ?? 'http://127.0.0.1:8080/v1',
});

const created = await client.responses.create({ model, input: prompt, background: true });
console.error(`created ${created.id} (${created.status})`);

// Follow the stream; remember the last sequence number so a reconnect continues where it stopped.
let cursor: number | undefined;
for (let attempt = 0; attempt < 5; attempt++) {
  try {
    const stream = await client.responses.retrieve(created.id, { stream: true, starting_after: cursor });
    for await (const event of stream) {
      cursor = event.sequence_number;
      if (event.type === 'response.output_text.delta') process.stdout.write(event.delta);
    }
    break;
  } catch (error) {
    console.error(`\nstream dropped (${(error as Error).message}); resuming after ${cursor}`);
  }
}

const done = await client.responses.retrieve(created.id);
console.error(`\n${done.status}; usage: ${JSON.stringify(done.usage)}`);
