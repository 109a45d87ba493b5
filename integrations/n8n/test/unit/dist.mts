// The built package (dist/, CommonJS) as the tests load it, with the types the tests rely on.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageDir } from '../build-package.mts';

const require = createRequire(import.meta.url);

export const load = <T,>(relative: string): T => require(join(packageDir, 'dist', relative)) as T;

export interface SignedHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}
export type Verification = { ok: true; id: string; timestamp: number } | { ok: false; problem: string; message: string };

export const signature = load<{
  verify(body: Buffer, headers: SignedHeaders, secrets: string[], nowSeconds: number, tolerance?: number): Verification;
  sign(secret: string, id: string, timestamp: number, body: Buffer): string;
}>('nodes/shared/signature.js');

export interface SeenEvent {
  e: string;
  d: string;
  a: number;
  t: number;
}
export const dedupe = load<{
  isRepeat(
    seen: SeenEvent[],
    arrival: { eventId: string; deliveryId: string; attempt: number; now: number },
    mode: 'receipt' | 'success',
  ): boolean;
  DEDUPE_MAX_EVENTS: number;
  DEDUPE_WINDOW_MS: number;
}>('nodes/shared/dedupe.js');

export type Hook = (this: unknown) => Promise<boolean>;
export interface TriggerNode {
  description: { name: string };
  webhookMethods: { default: { checkExists: Hook; create: Hook; delete: Hook } };
  webhook(
    this: unknown,
  ): Promise<{ workflowData?: Array<Array<{ json: Record<string, unknown> }>>; noWebhookResponse?: boolean }>;
}
export const triggerNode = () =>
  new (load<{ HookrelayTrigger: new () => TriggerNode }>('nodes/HookrelayTrigger/HookrelayTrigger.node.js').HookrelayTrigger)();
