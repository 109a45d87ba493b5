import type { HttpClient, ReceivedCallback, WorkflowCall } from '../../plugins/sdk.ts';
import type { EventBus } from '../bus.ts';
import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { EventService } from '../events/event-service.ts';
import type { Logger } from '../ops/logger.ts';
import type { Services } from '../services.ts';
import type { EventStore } from '../store/types.ts';
import type { RunRecord, RunStore } from './run-store.ts';
import type { AttemptTarget, RunHandle } from './active-run.ts';
import type { Slots } from './slots.ts';
import type { StateStore } from './state-store.ts';

export interface WorkflowLimits {
  /** A step output larger than this (JSON bytes) is kept as a truncated preview. */
  outputBytes: number;
  /** How many emit hops a chain of runs may take. */
  maxChainDepth: number;
  /** Finished runs kept; older ones are pruned. */
  keepRuns: number;
}

/** The runs' callback URLs and the waits on them (callbacks.ts). */
export interface CallbackWaits {
  /** The URL for the run's next `wait.callback` step at or after `fromStep` (null: the first). */
  url(run: RunRecord, fromStep: string | null): string;
  /** Resolves with the callback stored for this step (now or later), or null once `until` passes. */
  wait(run: RunRecord, stepId: string, until: number, signal: AbortSignal): Promise<ReceivedCallback | null>;
  /** Deletes a finished run's stored callbacks. */
  forget(run: RunRecord): Promise<void>;
}

/** Sub-workflows started by `workflow.call` steps (children.ts). */
export interface ChildRuns {
  call(parent: RunHandle, target: AttemptTarget, call: WorkflowCall, signal: AbortSignal): Promise<unknown>;
}

export interface EngineDeps {
  runs: RunStore;
  state: StateStore;
  slots: Slots;
  cluster: Cluster;
  clock: Clock;
  logger: Logger;
  fetch: typeof fetch;
  http: HttpClient;
  services: Services;
  eventService: EventService;
  eventStore: EventStore;
  bus: EventBus;
  env: Record<string, string>;
  /** `workflows.secrets` values, as expressions read them (`secrets.NAME`). */
  secrets: Record<string, string>;
  /** Replaces every secret value inside a value with a marker: applied to whatever a run stores or logs. */
  redact<T>(value: T): T;
  callbacks: CallbackWaits;
  children: ChildRuns;
  limits: WorkflowLimits;
}
