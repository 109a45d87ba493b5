import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { allowedEnv, resolveWorkflowsConfig } from './config.ts';
import { CallbackStore } from './callbacks.ts';
import { WorkflowChildren } from './children.ts';
import { guardedClient, guardedFetch } from './destination.ts';
import type { EngineDeps } from './engine-deps.ts';
import { RunEngine } from './engine.ts';
import { fetchHttpClient } from '../../plugins/sdk.ts';
import { undiciHttpClient } from './http-client.ts';
import { loadPlugins } from './plugin-registry.ts';
import { workerChecker } from './checker.ts';
import { WorkflowRegistry } from './registry.ts';
import { type RunRecord, TableRunStore } from './run-store.ts';
import { callbackRoutes, workflowRoutes } from './routes.ts';
import { readSecrets, redactor } from './secrets.ts';
import { EVENT_RUNS } from '../events/annotations.ts';
import { runSummary, stepObjectIds } from './views.ts';
import type { RelayEvent } from '../store/types.ts';
import type { Workflow } from './definition.ts';
import { dryRun } from './dry-run.ts';
import { Slots } from './slots.ts';
import { StateStore } from './state-store.ts';
import { Scheduler } from './scheduler.ts';
import { RunTakeover } from './takeover.ts';
import { TRIGGER_ROLE, Triggers } from './trigger.ts';

// Often, so each pass is small: after a burst, one large pass held the event loop for a while.
const PRUNE_EVERY_MS = 1_000;
/**
 * Finished runs kept beyond keepRuns because a restart would replay their events (and make them
 * again if they were gone); a bound for when the trigger cursor is held back a long time.
 */
const REPLAY_SPARE_MAX = 10_000;

/**
 * YAML workflows: loads the folder, triggers runs from the bus, resumes unfinished runs on start. With
 * several instances on one store: triggering is led by one instance, each run executes where it is
 * claimed, and runs of an instance that died are taken over (see docs/deployment.md).
 */
export async function workflowsSubsystem(ctx: RelayContext): Promise<Subsystem> {
  const config = resolveWorkflowsConfig(ctx.config);
  const plugins = await loadPlugins({ specs: config.plugins, baseDir: config.baseDir });
  const runs = new TableRunStore(ctx.storage.tables);
  const state = new StateStore(ctx.storage.tables, ctx.cluster);
  const slots = new Slots();
  const logger = ctx.logger.child({ subsystem: 'workflows' });
  // http.request goes where deliveries may go: the relay's one destination policy applies, before the
  // request and on every connection it makes.
  const { policy } = ctx.outbound;
  const check = (url: string) => policy.check(url);
  // A fetch injected into the relay (tests, embedding) carries every request; otherwise undici's request does.
  const ownClient = ctx.outbound.dispatcher ? undiciHttpClient(policy) : null;
  const secrets = readSecrets(config.secretNames);
  const redact = redactor(secrets);
  let server: Server | null = null;
  const baseUrl = () => {
    if (config.publicUrl) return config.publicUrl;
    const address = server?.address() as AddressInfo | null | undefined;
    const host = ctx.config.host === '0.0.0.0' || ctx.config.host === '::' ? '127.0.0.1' : ctx.config.host;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${address?.port ?? ctx.config.port}`;
  };
  // Both are made below; the stores only call these once runs execute.
  const workflow = (name: string) => registry.get(name);
  const callbacks = new CallbackStore({ tables: ctx.storage.tables, runs, clock: ctx.clock, workflow, baseUrl, redact });
  const children = new WorkflowChildren({
    runs,
    engine: () => engine,
    workflow,
    cancel: (id) => takeover.cancel(id),
    limits: config.limits,
  });
  const deps: EngineDeps = {
    runs,
    state,
    slots,
    cluster: ctx.cluster,
    clock: ctx.clock,
    logger,
    fetch: guardedFetch(ctx.outbound.fetch, check),
    http: guardedClient(ownClient ?? fetchHttpClient(ctx.outbound.fetch), check),
    services: ctx.services,
    eventService: ctx.eventService,
    eventStore: ctx.storage.events,
    bus: ctx.bus,
    env: allowedEnv(config.envNames),
    secrets,
    redact,
    callbacks,
    children,
    limits: config.limits,
  };
  const engine = new RunEngine(deps, ctx.newId);
  ctx.services.provide(EVENT_RUNS, {
    forEvent: (eventId) => runs.forEvent(eventId).map(runSummary),
    objectIds: (eventId) => runs.forEvent(eventId).flatMap(stepObjectIds),
  });
  const checker = workerChecker({
    plugins: config.plugins,
    baseDir: config.baseDir,
    env: config.envNames,
    secrets: config.secretNames,
    expressions: config.expressions,
  });
  const registry = new WorkflowRegistry({
    dir: config.dir,
    compile: {
      plugins: (name) => plugins.get(name),
      env: config.envNames,
      secrets: config.secretNames,
      expressions: config.expressions,
    },
    checker,
    maxFileBytes: config.maxFileBytes,
    onError: (err) => logger.error({ err }, 'reading the workflows folder failed'),
    onProblems: (file, problems) => {
      for (const p of problems) logger.warn({ file, line: p.line, col: p.col }, `workflow file problem: ${p.message}`);
    },
  });
  const triggers = new Triggers({ runs, engine, store: ctx.storage.events, bus: ctx.bus, clock: ctx.clock, logger }, () =>
    registry.active(),
  );
  const scheduler = new Scheduler({
    tables: ctx.storage.tables,
    clock: ctx.clock,
    logger,
    engine,
    workflows: () => registry.active(),
  });
  const takeover = new RunTakeover({ cluster: ctx.cluster, runs, engine, clock: ctx.clock, logger, resume });
  let withdraw: (() => void) | null = null;
  let pruneTimer: { clear(): void } | null = null;

  async function resume(run: RunRecord): Promise<void> {
    const workflow = registry.get(run.workflow);
    const event = run.event ?? (run.trigger_event_id ? await ctx.storage.events.get(run.trigger_event_id) : null);
    if (!workflow || (run.trigger_event_id && !event)) {
      const why = !workflow
        ? `workflow "${run.workflow}" is no longer loaded`
        : `trigger event ${run.trigger_event_id} is no longer stored`;
      await runs.save({
        ...run,
        status: 'failed',
        finished_at: new Date(ctx.clock.now()).toISOString(),
        error: { step: '', message: why },
      });
      return;
    }
    engine.resume(run, workflow, event ?? null);
  }

  function lead(): Promise<number> {
    return triggers.lead().catch((err: unknown) => {
      logger.error({ err }, 'replaying events for workflow triggers failed');
      return 0;
    });
  }

  function schedulePrune(): void {
    pruneTimer = ctx.clock.setTimeout(() => {
      // The trigger leader prunes for every instance (the runs are shared).
      (triggers.leading
        ? runs.prune(config.limits.keepRuns, { after: triggers.replayFrom(), max: REPLAY_SPARE_MAX })
        : Promise.resolve(0)
      )
        .catch((err: unknown) => logger.error({ err }, 'pruning finished runs failed'))
        .finally(schedulePrune);
    }, PRUNE_EVERY_MS);
  }

  return {
    name: 'workflows',
    routes(routers) {
      const scope = { env: deps.env, secrets, redact, outputBytes: config.limits.outputBytes };
      const dry = (workflow: Workflow, event: RelayEvent) => dryRun(workflow, event, scope);
      workflowRoutes(routers, { ctx, registry, plugins, runs, engine, slots, takeover, dryRun: dry });
      callbackRoutes(routers, { ctx, callbacks });
    },
    attach(listening) {
      server = listening;
    },
    async start() {
      await runs.open();
      await state.open();
      await callbacks.open();
      await scheduler.open();
      await registry.reload();
      if (config.watch) registry.watch();
      const waitsOnCallbacks = registry.active().some((w) => w.steps.some((s) => s.uses === 'wait.callback'));
      if (waitsOnCallbacks && !config.publicUrl) {
        logger.warn('workflows.publicUrl is not set: run.callback_url uses the address this relay listens on');
      }
      // Unfinished runs nobody holds (all of them, in one process) resume from where they were.
      await takeover.sweep();
      takeover.start();
      let replaying: Promise<number> = Promise.resolve(0);
      withdraw = ctx.cluster.lead(TRIGGER_ROLE, {
        gained: () => {
          replaying = lead();
          // Scheduled ticks after the replay: a run the replay makes comes first, as before a restart.
          void replaying.then(() => scheduler.lead()).catch((err: unknown) => logger.error({ err }, 'starting schedules failed'));
        },
        lost: () => {
          triggers.follow();
          scheduler.follow();
        },
      });
      // In one process the role is granted at once: replay before start() resolves, as after a restart.
      const replayed = await replaying;
      if (triggers.leading) await runs.prune(config.limits.keepRuns, { after: triggers.replayFrom(), max: REPLAY_SPARE_MAX });
      schedulePrune();
      logger.info({ dir: config.dir, workflows: registry.active().map((w) => w.name), replayed }, 'workflows loaded');
    },
    async stop() {
      pruneTimer?.clear();
      await scheduler.close();
      await takeover.stop();
      registry.close();
      await checker.close();
      await triggers.stop();
      withdraw?.();
      await engine.stop();
      await ownClient?.close();
      await state.close();
      await callbacks.close();
      await runs.close();
    },
  };
}
