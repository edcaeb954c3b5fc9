import "server-only";
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { readCookie, SESSION_COOKIE, sessionRoom, validateSession } from "@/lib/auth/session";
import { setIo, type FerryIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";
import { loadMigrationView } from "@/lib/migration/record";
import { migrationIdSchema } from "@/lib/validations/migration";

/** Attaches socket.io to the HTTP server. Every connection needs a valid session cookie. */
export function attachRealtime(httpServer: HttpServer): FerryIo {
  const io: FerryIo = new Server(httpServer, {
    path: "/socket.io",
    serveClient: false,
    cors: { origin: false },
    maxHttpBufferSize: 64 * 1024,
  });
  io.use(async (socket, next) => {
    try {
      const token = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE);
      const user = await validateSession(token);
      if (!user || !token) return next(new Error("unauthenticated"));
      socket.data.user = user;
      await socket.join(sessionRoom(token));
      next();
    } catch {
      next(new Error("unauthenticated"));
    }
  });
  io.on("connection", (socket) => {
    socket.on("hosts:subscribe", () => void socket.join(ROOMS.hosts));
    socket.on("migrations:subscribe", () => void socket.join(ROOMS.migrations));
    // Late joiners and reconnects get the whole state from the database, then live events.
    socket.on("migration:subscribe", async (raw) => {
      const id = migrationIdSchema.safeParse(raw);
      if (!id.success) return;
      await socket.join(ROOMS.migration(id.data));
      const view = await loadMigrationView(id.data).catch(() => null);
      if (view) socket.emit("migration:snapshot", view);
    });
    socket.on("migration:unsubscribe", (raw) => {
      const id = migrationIdSchema.safeParse(raw);
      if (id.success) void socket.leave(ROOMS.migration(id.data));
    });
  });
  setIo(io);
  return io;
}
