/**
 * The one typed event protocol between Ferry's server and browsers (socket.io).
 * Imported by both sides; event names are "domain:verb".
 */
export type HostHealthEvent = {
  hostId: string;
  name: string;
  status: "ok" | "warning" | "error" | "unknown";
  error: string | null;
  checkedAt: string;
};

export interface ServerToClientEvents {
  "hosts:health": (event: HostHealthEvent) => void;
  "hosts:changed": () => void;
}

export interface ClientToServerEvents {
  "hosts:subscribe": () => void;
}

export const ROOMS = {
  hosts: "hosts",
} as const;

