import "server-only";
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { readCookie, SESSION_COOKIE, sessionRoom, validateSession } from "@/lib/auth/session";
import { setIo, type FerryIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";

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
  });
  setIo(io);
  return io;
}
