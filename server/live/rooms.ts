import type { Clock } from '../clock.ts';
import { anyTypeMatches, typeMatches } from '../store/match.ts';
import type { RelayEvent } from '../store/types.ts';
import type { StreamFilter } from './filter.ts';

interface Room {
  source: string;
  types: string[] | null;
}

const PREFIX = 'live:';
const SEP = '\u0000';

/** A room's name says what it selects, so a room restored by connection state recovery needs no other record. */
function roomName(source: string, types: string[] | null): string {
  return PREFIX + [source, ...[...new Set(types ?? [])].sort()].join(SEP);
}

function parseRoom(name: string): Room | null {
  if (!name.startsWith(PREFIX)) return null;
  const [source, ...types] = name.slice(PREFIX.length).split(SEP);
  return { source, types: types.length > 0 ? types : null };
}

/**
 * Socket.IO rooms keyed by what they select (one source pattern and one set of type patterns), so
 * every socket with the same interest shares a room: an event is matched once per room and emitted
 * once to the union of matching rooms, whatever the number of sockets. The registry follows the
 * adapter's create-room and delete-room events.
 */
export function createRoomRegistry(clock: Clock, recoveryMs: number) {
  const rooms = new Map<string, Room>();
  const forgetting = new Map<string, { clear(): void }>();
  return {
    /**
     * The rooms a filter joins. A token limited to sources gets one exact room per source it may
     * read, so no room ever mixes scopes and rooms need no per-socket check.
     */
    roomsFor(filter: StreamFilter): string[] {
      const patterns = filter.sources ?? ['*'];
      const allowed = filter.principal.sources;
      const sources = allowed === null ? patterns : allowed.filter((s) => patterns.some((p) => typeMatches(p, s)));
      return sources.map((source) => roomName(source, filter.types));
    },
    created(name: string): void {
      forgetting.get(name)?.clear();
      forgetting.delete(name);
      const room = parseRoom(name);
      if (room) rooms.set(name, room);
    },
    /**
     * An empty room keeps receiving for the recovery window: Socket.IO records what is broadcast to
     * it, and a dropped socket that comes back within the window gets what it missed.
     */
    deleted(name: string): void {
      if (!rooms.has(name) || forgetting.has(name)) return;
      const forget = () => {
        forgetting.delete(name);
        rooms.delete(name);
      };
      if (recoveryMs === 0) forget();
      else forgetting.set(name, clock.setTimeout(forget, recoveryMs));
    },
    clear(): void {
      for (const timer of forgetting.values()) timer.clear();
      forgetting.clear();
      rooms.clear();
    },
    /** Rooms whose selection matches the event. */
    matching(event: RelayEvent): string[] {
      const names: string[] = [];
      for (const [name, room] of rooms) {
        if (typeMatches(room.source, event.source) && anyTypeMatches(room.types ?? undefined, event.type)) names.push(name);
      }
      return names;
    },
    get size() {
      return rooms.size;
    },
  };
}
