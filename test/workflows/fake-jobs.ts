import { Webhook } from 'svix';
import { startReceiver } from './helpers.ts';

export const JOBS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * An external job service: POST /jobs answers {job_id} and then (unless the stage is held) calls the
 * relay back with a signed Standard Webhooks `job.completed`, signed by the svix library.
 */
export async function startJobService(options: { relayUrl: () => string; now: () => number; hold?: Set<string> }) {
  let next = 0;
  const callbacks: Promise<unknown>[] = [];
  const service = await startReceiver((req) => {
    const job = req.json as { stage: string; document: string };
    const jobId = `job_${++next}_${job.stage}`;
    if (!options.hold?.has(job.stage)) callbacks.push(complete(jobId, job.stage, job.document));
    return { status: 201, body: { job_id: jobId } };
  });
  async function complete(jobId: string, stage: string, document: string) {
    const body = JSON.stringify({ type: 'job.completed', job_id: jobId, result: `${stage}:${document}` });
    const msgId = `msg_${jobId}`;
    const signature = new Webhook(JOBS_SECRET).sign(msgId, new Date(options.now()), body);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(options.now() / 1000)),
      'webhook-signature': signature,
    };
    const res = await fetch(`${options.relayUrl()}/hooks/jobs`, { method: 'POST', headers, body });
    if (res.status !== 200) throw new Error(`relay refused the job webhook: ${res.status} ${await res.text()}`);
  }
  return { ...service, callbacks };
}
