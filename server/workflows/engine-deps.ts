import type { HttpClient } from '../../plugins/sdk.ts';
import type { EventBus } from '../bus.ts';
import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { EventService } from '../events/event-service.ts';
import type { Logger } from '../ops/logger.ts';
import type { Services } from '../services.ts';
import type { EventStore } from '../store/types.ts';
import type { RunStore } from './run-store.ts';
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
  events: EventService;
  eventStore: EventStore;
  bus: EventBus;
  env: Record<string, string>;
  limits: WorkflowLimits;
}
