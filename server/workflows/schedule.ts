import { Cron } from 'croner';
import { parseDuration } from '../../plugins/sdk.ts';

// `on: { schedule: ... }`: when a workflow's ticks fall. Cron patterns (5 fields, or 6 with seconds)
// are read by croner, which handles time zones and daylight-saving changes; `every` ticks fall on
// multiples of the interval since the Unix epoch, so every instance computes the same ticks.

/** The shortest `every`. */
export const MIN_EVERY_MS = 1000;

export interface Schedule {
  /** What was written, for the API and the console. */
  cron: string | null;
  timezone: string | null;
  every: string | number | null;
  /** Ticks missed while no relay ran: `once` runs the latest of them once; `skip` runs none. */
  missed: 'once' | 'skip';
  /** The latest tick at or before `ms`, or null. */
  latest(ms: number): number | null;
  /** The first tick after `ms`, or null when there is none. */
  next(ms: number): number | null;
}

export type ScheduleSpec = { cron?: string; timezone?: string; every?: string | number; missed?: 'once' | 'skip' };

/** Builds a schedule, or throws an Error whose message says what is wrong (with the field as `field`). */
export function compileSchedule(spec: ScheduleSpec): Schedule {
  const missed = spec.missed ?? 'once';
  if ((spec.cron === undefined) === (spec.every === undefined))
    throw new ScheduleError('', 'a schedule has either cron or every');
  if (spec.every !== undefined) {
    if (spec.timezone !== undefined) throw new ScheduleError('timezone', 'timezone applies to cron schedules only');
    const every = parseDuration(spec.every);
    if (every === null || every < MIN_EVERY_MS)
      throw new ScheduleError(
        'every',
        `every must be a duration of at least 1s (such as 30s, 5m or 1h), got ${JSON.stringify(spec.every)}`,
      );
    return {
      cron: null,
      timezone: null,
      every: spec.every,
      missed,
      latest: (ms) => Math.floor(ms / every) * every,
      next: (ms) => (Math.floor(ms / every) + 1) * every,
    };
  }
  if (spec.timezone !== undefined && !validZone(spec.timezone))
    throw new ScheduleError('timezone', `unknown time zone "${spec.timezone}" (use an IANA name such as Europe/Paris)`);
  let cron: Cron;
  try {
    cron = new Cron(spec.cron ?? '', { timezone: spec.timezone, paused: true });
  } catch (error) {
    throw new ScheduleError('cron', `bad cron "${spec.cron}": ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  return {
    cron: spec.cron ?? null,
    timezone: spec.timezone ?? null,
    every: null,
    missed,
    latest: (ms) => {
      // croner's previous run is strictly before the date given: ask from just after `ms`.
      const [previous] = cron.previousRuns(1, new Date(ms + 1));
      return previous ? previous.getTime() : null;
    },
    next: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
  };
}

export class ScheduleError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
