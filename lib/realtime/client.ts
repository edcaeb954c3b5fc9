"use client";
import { useEffect, useRef } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "@/lib/realtime/protocol";

export type FerrySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let shared: FerrySocket | undefined;

/** One socket per tab, authenticated by the session cookie the browser already sends. */
export function getSocket(): FerrySocket {
  shared ??= io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
  return shared;
}

/** Runs `setup` with the shared socket on mount (and on every reconnect), undoing it on unmount. */
export function useSocket(setup: (socket: FerrySocket) => void | (() => void)) {
  const ref = useRef(setup);
  useEffect(() => {
    ref.current = setup;
  });
  useEffect(() => {
    const socket = getSocket();
    let cleanup = ref.current(socket);
    const onReconnect = () => {
      if (typeof cleanup === "function") cleanup();
      cleanup = ref.current(socket);
    };
    socket.io.on("reconnect", onReconnect);
    return () => {
      socket.io.off("reconnect", onReconnect);
      if (typeof cleanup === "function") cleanup();
    };
  }, []);
}
