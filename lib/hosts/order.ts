import type { ContainerRow } from "@/lib/hosts/containers";

/** The containers table's order: what it is sorted by, and how rows compare. Pure (the table, GET /api/v1/containers and tests share it). */
export type SortKey = "name" | "host" | "image" | "state" | "uptime" | "memory" | "created";
export type Sort = { key: SortKey; dir: 1 | -1 };

function compare(a: ContainerRow, b: ContainerRow, key: SortKey): number {
  switch (key) {
    case "name":
      return a.name.localeCompare(b.name, undefined, { numeric: true });
    case "host":
      return a.hostName.localeCompare(b.hostName) || a.name.localeCompare(b.name, undefined, { numeric: true });
    case "image":
      return a.image.localeCompare(b.image);
    case "state":
      return a.state.localeCompare(b.state);
    case "uptime":
      return (a.uptimeSeconds ?? -1) - (b.uptimeSeconds ?? -1);
    case "memory":
      return (a.memoryBytes ?? -1) - (b.memoryBytes ?? -1);
    case "created":
      return a.createdAt.localeCompare(b.createdAt);
  }
}

/**
 * Rows in the table's order (a new array). The table shows its rows this way, and a batch is
 * requested in it too: items move in the order the user saw them, not in the order Docker listed
 * them (newest first, so a table sorted by name would have moved bottom to top).
 */
export function inTableOrder(rows: readonly ContainerRow[], sort: Sort): ContainerRow[] {
  return [...rows].sort(byTableOrder(sort));
}

export const byTableOrder =
  (sort: Sort) =>
  (a: ContainerRow, b: ContainerRow): number =>
    compare(a, b, sort.key) * sort.dir;

/** The table's order before a user sorts: by host, then container name. */
export const DEFAULT_SORT: Sort = { key: "host", dir: 1 };
