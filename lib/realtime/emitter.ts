import type { Server } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "@/lib/realtime/protocol";

export type FerryIo = Server<ClientToServerEvents, ServerToClientEvents>;

// server.ts creates the socket.io server; route handlers and actions (bundled by Next) reach it here.
const g = globalThis as unknown as { __ferryIo?: FerryIo };

export function setIo(io: FerryIo): void {
  g.__ferryIo = io;
}

export function getIo(): FerryIo | undefined {
  return g.__ferryIo;
}
