import type { Server } from 'node:http';
import type { RelayContext } from './context.ts';
import type { HttpMount } from './http/mount.ts';

/** A part of the relay (live stream, delivery, workflows, AI). Start and stop are awaited in order. */
export interface Subsystem {
  readonly name: string;
  /** Mounts its HTTP routes (server/http/app.ts calls it once, before the server listens). */
  routes?(http: HttpMount): void;
  /** Called with the HTTP server once it exists (Socket.IO attaches here). */
  attach?(server: Server): void;
  start?(): Promise<void>;
  /** The server stops accepting: end long-lived connections (streams, websockets) so it can close. */
  closing?(): void;
  /** Stops taking work and drains; called in reverse start order. */
  stop?(): Promise<void>;
}

export type SubsystemFactory = (ctx: RelayContext) => Subsystem | Promise<Subsystem>;
