import type { RelayEvent } from '../store/types.ts';
import type { Gap } from './catch-up.ts';

// The Socket.IO protocol on /socket.io, typed for the server and for clients (examples/socketio-client.ts).

export interface SubscribeRequest {
  /** Source names or globs (`github*`); omitted = every source the token may read. */
  sources?: string[];
  /** Event types or globs such as `response.*`; omitted = every type. */
  types?: string[];
  /** Resume after this event id: stored events after it are sent first, then live ones. */
  after?: string;
}

export type SubscribeAck = { ok: true } | { ok: false; error: { code: string; message: string } };

export interface ServerToClientEvents {
  /** A stored event. With connection state recovery on, Socket.IO appends its own offset argument. */
  event(event: RelayEvent, offset?: string): void;
  /** The `after` cursor is older than retention: events between it and `oldest_id` may be gone. */
  gap(gap: Gap): void;
}

export interface ClientToServerEvents {
  /** Replaces the connection's subscription; acknowledged once replay (if any) is done and live events flow. */
  subscribe(request: SubscribeRequest, ack: (answer: SubscribeAck) => void): void;
}

/** `connect_error` carries this in `err.data` when the handshake is refused. */
export interface ConnectErrorData {
  code: 'unauthorized' | 'insufficient_scope' | 'too_many_subscribers';
  message: string;
}
