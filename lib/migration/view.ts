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
  targetHostId: string;
  targetHostName: string;
  options: MigrationOptions;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequested: boolean;
  counts: Record<string, number>;
  items: MigrationItemView[];
};

export function countByStatus(items: { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.status] = (counts[i.status] ?? 0) + 1;
  return counts;
}
