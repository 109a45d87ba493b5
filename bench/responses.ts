// npm run bench:responses: 1,000 concurrent background responses (stream: true) through the relay
// against the fake upstream streaming 200 tokens each with no delay, compared with the same load
// sent to the fake upstream directly in the same run; then the same again with a function tool, each
// answer ending in a streamed tool call (`function_call` items through the relay). Before each comparison both
// sides run BENCH_WARM_UP responses (100; 20 quick), not measured. Each token carries the time it was written,
// so every reader measures token latency; the relay runs in a child process so its peak RSS is its own.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { spawnRelay } from '../test/helpers/child-relay.ts';
import { startFakeOpenAI } from '../test/helpers/fake-openai.ts';
import { eventChunkingFetch } from './lib/event-chunking.ts';
import { sized } from './lib/quick.ts';
import { report } from './lib/summary.ts';

const RESPONSES = Number(process.env.BENCH_RESPONSES ?? sized(1000, 100));
const TOKENS = Number(process.env.BENCH_TOKENS ?? 200);
const TOKEN = 'bench-admin-token';
/** Every STREAM_EVERY-th relay response is also read as a stream, for token latency. */
/** ai.concurrency for the relay: upstream requests it runs at once (the rest wait in its queue). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const STREAM_EVERY = Number(process.env.BENCH_STREAM_EVERY ?? 20);
/** Responses sent each way before each comparison, not measured (0 skips the warm-up). */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? sized(100, 20));

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
/** Each token is its write time in µs plus a space, so a reader can tell how long it travelled. */
const stampedToken = () => `${Math.round(nowUs())} `;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface RunResult {
  ms: number;
  latenciesUs: Float64Array;
  tokens: number;
}

function collector() {
  const latencies = new Float64Array(RESPONSES * TOKENS);
  let n = 0;
  return {
    token(delta: string) {
      const at = nowUs();
      for (const part of delta.split(' ')) if (part) latencies[n++] = at - Number(part);
    },
    result(ms: number): RunResult {
      return { ms, latenciesUs: latencies.slice(0, n).sort(), tokens: n };
    },
  };
}

const TOOLS = [{ type: 'function' as const, name: 'lookup', parameters: { type: 'object' }, strict: false }];
const CHAT_TOOLS = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];
/** A tool call's arguments, streamed by the fake upstream in two pieces after the text. */
const TOOL_ARGUMENTS = JSON.stringify({ query: 'x'.repeat(200) });

async function direct(baseURL: string, tools: boolean, count = RESPONSES): Promise<RunResult> {
  // Without re-chunking the SDK's SSE reader copies quadratically on fast streams and the direct
  // baseline would look slower than it has to be (the relay reads streams with its own reader).
  const client = new OpenAI({ apiKey: 'x', baseURL, maxRetries: 2, fetch: eventChunkingFetch(fetch) });
  const c = collector();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const stream = await client.chat.completions.create({
        model: 'fake-bench',
        messages: [{ role: 'user', content: `r${i}` }],
        stream: true,
        ...(tools && { tools: CHAT_TOOLS }),
      });
      let args = '';
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta;
        if (delta?.content) c.token(delta.content);
        for (const call of delta?.tool_calls ?? []) args += call.function?.arguments ?? '';
      }
      if (tools && args !== TOOL_ARGUMENTS) throw new Error('direct: the tool call did not arrive whole');
    }),
  );
  return c.result(performance.now() - start);
}

/** Counts terminal AI events on the relay's live event stream (one SSE connection for all responses). */
async function watchTerminal(relayUrl: string, expected: number): Promise<{ done: Promise<number>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(`${relayUrl}/v1/events/stream?source=ai&type=response.*`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: controller.signal,
  });
  const done = (async () => {
    let seen = 0;
    let failed = 0;
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const bytes of res.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(bytes, { stream: true });
      const frames = buffered.split('\n\n');
      buffered = frames.pop() ?? '';
      for (const frame of frames) {
        if (frame.includes('"type":"response.completed"')) seen++;
        else if (/"type":"response\.(failed|cancelled|incomplete)"/.test(frame)) failed++;
      }
      if (seen + failed >= expected) break;
    }
    if (failed) throw new Error(`${failed} responses did not complete`);
    return seen;
  })();
  return { done, close: () => controller.abort() };
}

/**
 * All responses are background; a sample of them is also streamed (stream: true) to measure token
 * latency, the rest are only created: the relay reads the upstream for them, which is the point.
 */
async function throughRelay(relayUrl: string, tools: boolean, count = RESPONSES, label = 'bench'): Promise<RunResult> {
  // A create cut by a reset connection is retried safely: the Idempotency-Key makes it the same response.
  const client = new OpenAI({ apiKey: TOKEN, baseURL: `${relayUrl}/v1`, maxRetries: 2, timeout: 300_000 });
  const c = collector();
  const watcher = await watchTerminal(relayUrl, count);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const streamed = i % STREAM_EVERY === 0;
      const headers = { 'Idempotency-Key': `${label}-${tools ? 'tools' : 'text'}-${i}` };
      const body = { model: 'fake-bench', input: `r${i}`, background: true, ...(tools && { tools: TOOLS }) };
      if (!streamed) return client.responses.create(body, { headers });
      const stream = await client.responses.create({ ...body, stream: true }, { headers });
      let args: string | null = null;
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') c.token(event.delta);
        else if (event.type === 'response.function_call_arguments.done') args = event.arguments;
      }
      if (tools && args !== TOOL_ARGUMENTS) throw new Error('relay: the function_call did not arrive whole');
    }),
  );
  await watcher.done;
  watcher.close();
  return c.result(performance.now() - start);
}

/** CPU time (user + system) the process used so far, in ms (Linux: clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const fake = await startFakeOpenAI();
fake.behaviourFor = (body) => ({
  tokenCount: TOKENS,
  tokenAt: stampedToken,
  ...(body.tools ? { toolCalls: [{ name: 'lookup', arguments: TOOL_ARGUMENTS }] } : {}),
});
const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-ai-'));
const relay = await spawnRelay({
  dataDir,
  adminToken: TOKEN,
  env: {
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    ...(process.env.BENCH_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.BENCH_MALLOC_ARENA_MAX } : {}),
  },
  // Node flags NODE_OPTIONS refuses (e.g. --cpu-prof, --heap-growing-percent=N).
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  configYaml: `${process.env.BENCH_MEMORY ? 'store: { driver: memory }\n' : ''}ai:\n  concurrency: ${CONCURRENCY}\n  upstreams:\n    - { name: fake, baseURL: "${fake.baseURL}", models: ["fake-*"] }\n`,
}).catch(async (error) => {
  await fake.close();
  throw error;
});
async function compare(tools: boolean): Promise<void> {
  // Both sides warm up first, unmeasured, as bench:fanout does: otherwise the first comparison of a run
  // (text) measures code paths running for the first time in both processes.
  if (WARM_UP > 0) {
    await direct(fake.baseURL, tools, WARM_UP);
    await throughRelay(relay.url, tools, WARM_UP, 'warm-up');
  }
  const d = await direct(fake.baseURL, tools);
  const cpuBefore = await cpuMs(relay.child.pid as number);
  const r = await throughRelay(relay.url, tools);
  const relayCpuMs = (await cpuMs(relay.child.pid as number)) - cpuBefore;
  const totalTokens = RESPONSES * TOKENS;
  const ms = (us: number) => (us / 1000).toFixed(2);
  const directRate = totalTokens / (d.ms / 1000);
  const relayRate = totalTokens / (r.ms / 1000);
  console.log(
    `\n${tools ? 'tool calling' : 'text'}: ${RESPONSES} concurrent × ${TOKENS} tokens${tools ? ' + one streamed function call' : ''}; relay ai.concurrency ${CONCURRENCY}`,
  );
  console.log(
    `direct:  ${d.ms.toFixed(0)} ms, ${directRate.toFixed(0)} tokens/s, token latency p50 ${ms(percentile(d.latenciesUs, 50))} ms p99 ${ms(percentile(d.latenciesUs, 99))} ms`,
  );
  console.log(`relay (${r.tokens} tokens streamed to ${Math.ceil(RESPONSES / STREAM_EVERY)} sampled readers):`);
  console.log(
    `         ${r.ms.toFixed(0)} ms, ${relayRate.toFixed(0)} tokens/s, token latency p50 ${ms(percentile(r.latenciesUs, 50))} ms p99 ${ms(percentile(r.latenciesUs, 99))} ms`,
  );
  console.log(
    `relay overhead per token event: p50 ${ms(percentile(r.latenciesUs, 50) - percentile(d.latenciesUs, 50))} ms, p99 ${ms(percentile(r.latenciesUs, 99) - percentile(d.latenciesUs, 99))} ms`,
  );
  console.log(
    `relay CPU: ${relayCpuMs} ms in all, ${((relayCpuMs * 1000) / totalTokens).toFixed(1)} µs per token event (create, upstream read, store, announce included)`,
  );
  console.log(`rate ratio relay/direct: ${(relayRate / directRate).toFixed(2)} (bar ≥ 0.90)`);
  const kind = tools ? 'tool calling' : 'text';
  report({
    bench: 'responses',
    metric: `${kind}: token rate vs direct`,
    unit: 'tokens/s',
    relay: relayRate,
    baseline: directRate,
    goal: { op: '>=', value: 0.9 },
  });
  report({
    bench: 'responses',
    metric: `${kind}: token latency p99 vs direct`,
    unit: 'ms',
    relay: percentile(r.latenciesUs, 99) / 1000,
    baseline: percentile(d.latenciesUs, 99) / 1000,
  });
  if (d.tokens !== totalTokens) console.log(`warning: direct readers saw ${d.tokens} of ${totalTokens} tokens`);
}

try {
  const pid = relay.child.pid as number;
  // BENCH_TOOLS=0 skips the tool-calling run, BENCH_TEXT=0 the text run: each alone has 1,000
  // responses in the relay; after both it keeps 2,000.
  if (process.env.BENCH_TEXT !== '0') {
    await compare(false);
    report({
      bench: 'responses',
      metric: `peak RSS after the text run (${RESPONSES} concurrent)`,
      unit: 'MB',
      relay: await peakRssMb(pid),
      goal: { op: '<=', value: 250 },
    });
  }
  if (process.env.BENCH_TOOLS !== '0') {
    await compare(true);
    report({
      bench: 'responses',
      metric: `peak RSS after the tool-calling run (${RESPONSES} concurrent)`,
      unit: 'MB',
      relay: await peakRssMb(pid),
      goal: { op: '<=', value: 250 },
    });
  }
} finally {
  relay.child.kill('SIGTERM');
  await relay.exited;
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
}
