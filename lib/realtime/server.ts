import "server-only";
import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import { socketOriginAllowed } from "@/lib/auth/browser-policy";
import { liveSessionIds, readCookie, SESSION_COOKIE, sessionIdOf, sessionRoomOf, validateSession } from "@/lib/auth/session";
import { setIo, type FerryIo } from "@/lib/realtime/emitter";
import { MAX_SUBSCRIPTIONS, ROOMS, type ClientToServerEvents, type ServerToClientEvents } from "@/lib/realtime/protocol";
import { loadMigrationView } from "@/lib/migration/record";
import { migrationIdSchema } from "@/lib/validations/migration";

/** How often every open socket's session is checked again (deleted or expired sessions lose their sockets). */
export const SESSION_RECHECK_MS = 30_000;

type SocketData = { user: { id: string; username: string }; sessionId: string };
type FerrySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/**
 * Attaches socket.io to the HTTP server. Every connection needs a valid session cookie and, from a
 * browser, this site's Origin; the session is checked again on every event the socket sends and every
 * SESSION_RECHECK_MS, so a socket never outlives its session by more than that.
 */
export function attachRealtime(httpServer: HttpServer): { io: FerryIo; stop: () => void } {
  const io: FerryIo = new Server(httpServer, {
    path: "/socket.io",
    serveClient: false,
    cors: { origin: false },
    maxHttpBufferSize: 64 * 1024,
    // Before any handshake (polling or WebSocket): SameSite=Lax still sends the cookie from another
    // port of the same host, so the cookie alone does not prove the page is Ferry's.
    allowRequest: (req, callback) => {
      const allowed = socketOriginAllowed(req.headers);
      callback(allowed ? null : "foreign origin", allowed);
    },
  });
  // socket.io's own HTTP answers (polling) bypass Next's headers.
  io.engine.on("headers", (headers: Record<string, string>) => {
    headers["X-Content-Type-Options"] = "nosniff";
    headers["Referrer-Policy"] = "same-origin";
  });
  io.use(async (socket, next) => {
    try {
      const token = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE);
      const user = await validateSession(token);
      if (!user || !token) return next(new Error("unauthenticated"));
      const data: SocketData = { user, sessionId: sessionIdOf(token) };
      socket.data = data;
      await socket.join(sessionRoomOf(data.sessionId));
      next();
    } catch {
      next(new Error("unauthenticated"));
    }
  });

  /** Joins a room if the session still exists and the socket has room for it; false when it did not. */
  async function subscribe(socket: FerrySocket, room: string): Promise<boolean> {
    const { sessionId } = socket.data;
    const live = await liveSessionIds([sessionId]).catch(() => null);
    if (!live) return false; // database trouble: no new room, but no disconnect either
    if (!live.has(sessionId)) {
      socket.disconnect(true);
      return false;
    }
    if (socket.rooms.has(room)) return true;
    const own = sessionRoomOf(sessionId);
    const subscribed = [...socket.rooms].filter((r) => r !== socket.id && r !== own).length;
    if (subscribed >= MAX_SUBSCRIPTIONS) {
      socket.emit("subscription:refused", { room, reason: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection` });
      return false;
    }
    await socket.join(room);
    return true;
  }

  io.on("connection", (socket) => {
    // Every event the browser sends, today's and any added later, first needs a live session: a
    // socket whose session was deleted or expired is disconnected before its event is handled.
    socket.use((_packet, next) => {
      const { sessionId } = socket.data;
      liveSessionIds([sessionId]).then(
        (live) => {
          if (live.has(sessionId)) next();
          else socket.disconnect(true);
        },
        () => undefined, // database trouble: the event is dropped, the socket stays
      );
    });
    socket.on("hosts:subscribe", () => void subscribe(socket, ROOMS.hosts));
    // Late joiners and reconnects get the whole state from the database, then live events.
    socket.on("migration:subscribe", async (raw) => {
      const id = migrationIdSchema.safeParse(raw);
      if (!id.success) return;
      if (!(await subscribe(socket, ROOMS.migration(id.data)))) return;
      const view = await loadMigrationView(id.data).catch(() => null);
      if (view) socket.emit("migration:snapshot", view);
    });
    socket.on("migration:unsubscribe", (raw) => {
      const id = migrationIdSchema.safeParse(raw);
      if (id.success) void socket.leave(ROOMS.migration(id.data));
    });
  });

  // Logout disconnects its own sockets; this catches the rest (expiry, a session deleted elsewhere).
  const timer = setInterval(() => void disconnectDeadSessions(io), SESSION_RECHECK_MS);
  timer.unref();
  setIo(io);
  return { io, stop: () => clearInterval(timer) };
}

async function disconnectDeadSessions(io: FerryIo): Promise<void> {
  const sockets = [...io.of("/").sockets.values()];
  if (sockets.length === 0) return;
  let live: Set<string>;
  try {
    live = await liveSessionIds([...new Set(sockets.map((s) => (s as FerrySocket).data.sessionId))]);
  } catch {
    return; // the database is busy or gone: try again next time rather than drop everyone
  }
  for (const s of sockets) if (!live.has((s as FerrySocket).data.sessionId)) s.disconnect(true);
}
