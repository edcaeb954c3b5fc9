/**
 * The one typed event protocol between Ferry's server and browsers (socket.io).
 * Imported by both sides; event names are "domain:verb"; every migration event carries its
 * migration id (and item id where it concerns one container).
 */
import type { MigrationItemView, MigrationView } from "@/lib/migration/view";

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
  /** The whole state of a batch: sent on subscribe (late joiners, reconnects) and when it ends. */
  "migration:snapshot": (migration: MigrationView) => void;
  "migration:item": (event: { migrationId: string; item: MigrationItemView }) => void;
  "migration:batch": (event: { migrationId: string; status: MigrationView["status"]; finishedAt: string | null; cancelRequested: boolean }) => void;
  /** Bytes streamed so far in an item's transfer (live, not stored; the phase row gets the total). */
  "migration:progress": (event: { migrationId: string; itemId: string; bytes: number; bytesPerSecond: number }) => void;
  /** A subscribe the server did not honour (too many rooms on one socket). */
  "subscription:refused": (event: { room: string; reason: string }) => void;
}

export interface ClientToServerEvents {
  "hosts:subscribe": () => void;
  "migration:subscribe": (migrationId: string) => void;
  "migration:unsubscribe": (migrationId: string) => void;
}

/** Rooms one socket may be in besides its own; a page needs two or three. */
export const MAX_SUBSCRIPTIONS = 50;

export const ROOMS = {
  hosts: "hosts",
  migration: (id: string) => `migration:${id}`,
} as const;
