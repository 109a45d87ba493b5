// A phase of a bench measured in-process: the event loop's delay while it runs and, when a folder is
// given, a CPU profile of that phase alone (open the .cpuprofile in Chrome DevTools or any
// .cpuprofile viewer). For benches whose relay runs in the bench process (bench/deliver.ts).
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export interface PhaseProbe {
  /** Ends the phase: its event-loop delay in ms, and the profile written when a folder was given. */
  stop(): Promise<LoopDelay>;
}

/** Starts measuring a phase; `profileDir` (optional) receives `<label>.cpuprofile`. */
export async function probePhase(label: string, profileDir?: string): Promise<PhaseProbe> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let session: Session | null = null;
  if (profileDir) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
  }
  return {
    async stop() {
      delay.disable();
      if (session && profileDir) {
        const { profile } = await session.post('Profiler.stop');
        await writeFile(join(profileDir, `${label}.cpuprofile`), JSON.stringify(profile));
        session.disconnect();
      }
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      return { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
    },
  };
}
