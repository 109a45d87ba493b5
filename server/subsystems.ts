import { aiSubsystem } from './ai/subsystem.ts';
import { batchesApi } from './batches/subsystem.ts';
import type { SubsystemFactory } from './subsystem.ts';
import { delivery } from './delivery/subsystem.ts';
import { eventsApi } from './events/subsystem.ts';
import { tokensApi } from './tokens/subsystem.ts';
import { filesApi } from './files/subsystem.ts';
import { keysSubsystem } from './keys/subsystem.ts';
import { consoleUi } from './console/subsystem.ts';
import { liveStream } from './live/subsystem.ts';
import { openaiEnrichment } from './openai-intake/subsystem.ts';
import { sourcesSubsystem } from './sources/subsystem.ts';
import { workflowsSubsystem } from './workflows/subsystem.ts';

/** The relay's parts in start order (stopped in reverse). One line each. */
// biome-ignore format: one subsystem per line keeps additions readable
export const defaultSubsystems: SubsystemFactory[] = [
  keysSubsystem,
  tokensApi,
  sourcesSubsystem,
  liveStream,
  eventsApi,
  delivery,
  workflowsSubsystem,
  aiSubsystem,
  openaiEnrichment,
  filesApi,
  batchesApi,
  consoleUi,
];
