/** The shape of a migration as the API and the browser see it (no secrets, dates as ISO text). */
import type { ItemStatus, BatchStatus, PhaseName } from "@/lib/migration/state";
import type { MigrationOptions } from "@/lib/validations/migration";

export type PhaseView = { name: PhaseName; startedAt: string; endedAt: string | null; ok: boolean | null; detail: string | null; bytes: number | null };

export type MigrationItemView = {
  id: string;
  seq: number;
  hostId: string;
  hostName: string;
  containerId: string;
  name: string;
  image: string;
  status: ItemStatus;
  /** Where this container goes (null: no host could take it; it was skipped with the reason). */
  targetHostId: string | null;
  targetHostName: string | null;
  targetName: string | null;
  targetContainerId: string | null;
  memoryNeedBytes: number | null;
  bytesMoved: number;
  downtimeMs: number | null;
  error: string | null;
  errorCode: string | null;
  warnings: string[];
  startedAt: string | null;
  finishedAt: string | null;
  phases: PhaseView[];
};

export type MigrationView = {
  id: string;
  status: BatchStatus;
  /** The batch's target when it has one; null when its items go to several hosts (see `targets`). */
  targetHostId: string | null;
  /** "host-b", or every target's name ("host-b, host-c"). */
  targetHostName: string;
  /** Each target's share of the batch: its containers by status and their downtime. */
  targets: TargetFigures[];
  /** Set on the batch that evacuates a host. */
  evacuatedHost: { id: string; name: string } | null;
  options: MigrationOptions;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequested: boolean;
  counts: Record<string, number>;
  items: MigrationItemView[];
};

export type TargetFigures = {
  id: string;
  name: string;
  total: number;
  counts: Record<string, number>;
  downtimeP50Ms: number | null;
  downtimeP95Ms: number | null;
  bytesMoved: number;
};

/** Nearest-rank percentile (p in 0..100) of a list; null for an empty list. */
export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/** Per-target figures of a batch's items, by host name; items without a target are left out. */
export function targetsOf(items: (Pick<MigrationItemView, "targetHostId" | "targetHostName" | "downtimeMs" | "bytesMoved"> & { status: string })[]): TargetFigures[] {
  const by = new Map<string, { name: string; items: typeof items }>();
  for (const i of items) {
    if (!i.targetHostId) continue;
    const g = by.get(i.targetHostId) ?? by.set(i.targetHostId, { name: i.targetHostName ?? "?", items: [] }).get(i.targetHostId)!;
    g.items.push(i);
  }
  return [...by.entries()].sort((x, y) => x[1].name.localeCompare(y[1].name)).map(([id, g]) => {
    const downs = g.items.filter((i) => i.status === "done" && i.downtimeMs !== null).map((i) => i.downtimeMs!);
    return {
      id,
      name: g.name,
      total: g.items.length,
      counts: countByStatus(g.items),
      downtimeP50Ms: percentile(downs, 50),
      downtimeP95Ms: percentile(downs, 95),
      bytesMoved: g.items.reduce((n, i) => n + i.bytesMoved, 0),
    };
  });
}

export function countByStatus(items: { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.status] = (counts[i.status] ?? 0) + 1;
  return counts;
}
