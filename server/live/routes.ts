import type { HttpMount } from '../http/mount.ts';
import type { SseHub } from './sse.ts';

/** GET /v1/events/stream (SSE); Socket.IO attaches to the server itself (live/socketio.ts). */
export function liveRoutes({ v1, auth }: HttpMount, sse: SseHub): void {
  // Registered before the events API, whose /events/:id would otherwise take "stream" as an id.
  v1.get('/events/stream', auth.reader, (req, res) => sse.open(req, res));
}
