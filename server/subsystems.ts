import { aiSubsystem } from './ai/subsystem.ts';
import { batchesApi } from './batches/batches-api.ts';
import type { SubsystemFactory } from './subsystem.ts';
import { delivery } from './delivery/index.ts';
import { eventsApi } from './events/routes.ts';
import { tokensApi } from './events/tokens.ts';
import { filesApi } from './files/files-api.ts';
import { keysSubsystem } from './keys/subsystem.ts';
import { consoleUi } from './http/console.ts';
import { liveStream } from './live/index.ts';
import { openaiEnrichment } from './openai-intake/enricher.ts';
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
