import "server-only";
import type { z } from "zod";
import { db } from "@/lib/db";
import { InputError } from "@/lib/errors";
import type { historyQuerySchema } from "@/lib/validations/history";
import type { Prisma } from "@/lib/generated/prisma/client";
import { downtimeHistogram, percentile } from "@/lib/migration/stats";
import { BATCH_ENDED, batchStatus, type BatchStatus } from "@/lib/migration/state";
import { targetsOf, type TargetFigures } from "@/lib/migration/view";

/** History of batches: filters, cursor pages and the figures the charts draw. */

/** The filter, as lib/validations/history.ts parses it from a query string (real calendar dates only). */
export type HistoryFilter = z.infer<typeof historyQuerySchema>;

/** For the API: a cursor must name a batch (an unknown one would silently give an empty page). */
export async function assertCursor(cursor: string | undefined): Promise<void> {
  if (cursor && !(await db.migration.findUnique({ where: { id: cursor }, select: { id: true } })))
    throw new InputError(`No migration with id ${cursor} to continue from`, { cursor: [`no migration with id ${cursor}`] });
}

export type BatchSummary = {
  id: string;
  status: BatchStatus;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
  sources: string[];
  targetHostName: string;
  targets: string[];
  evacuatedHostName: string | null;
  total: number;
  counts: Record<string, number>;
  durationMs: number | null;
  downtimeP50Ms: number | null;
  downtimeP95Ms: number | null;
  containersPerMin: number | null;
};

function where(f: HistoryFilter): Prisma.MigrationWhereInput {
  const and: Prisma.MigrationWhereInput[] = [];
  if (f.host) and.push({ OR: [{ targetHostId: f.host }, { items: { some: { OR: [{ sourceHostId: f.host }, { targetHostId: f.host }] } } }] });
  if (f.outcome) and.push({ status: f.outcome });
  if (f.from) and.push({ createdAt: { gte: new Date(`${f.from}T00:00:00Z`) } });
  if (f.to) and.push({ createdAt: { lt: new Date(Date.parse(`${f.to}T00:00:00Z`) + 86_400_000) } });
  return and.length ? { AND: and } : {};
}

/** Newest first, `limit` at a time; `cursor` is the id of the last batch of the previous page. */
export async function listBatches(filter: HistoryFilter, page: { limit: number; cursor?: string }): Promise<{ batches: BatchSummary[]; nextCursor: string | null }> {
  const rows = await db.migration.findMany({
    where: where(filter),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: page.limit + 1,
    ...(page.cursor ? { cursor: { id: page.cursor }, skip: 1 } : {}),
  });
  const more = rows.length > page.limit;
  const batch = rows.slice(0, page.limit);
  const items = await db.migrationItem.findMany({
    where: { migrationId: { in: batch.map((b) => b.id) } },
    select: { migrationId: true, status: true, downtimeMs: true, sourceHostName: true, targetHostName: true },
  });
  const byBatch = new Map<string, typeof items>();
  for (const i of items) (byBatch.get(i.migrationId) ?? byBatch.set(i.migrationId, []).get(i.migrationId)!).push(i);
  return {
    batches: batch.map((b) => {
      const its = byBatch.get(b.id) ?? [];
      const counts: Record<string, number> = {};
      for (const i of its) counts[i.status] = (counts[i.status] ?? 0) + 1;
      const downs = its.filter((i) => i.status === "done" && i.downtimeMs !== null).map((i) => i.downtimeMs!);
      const start = b.startedAt ?? b.createdAt;
      const durationMs = b.finishedAt ? b.finishedAt.getTime() - start.getTime() : null;
      return {
        id: b.id,
        status: batchStatus(b.status),
        createdAt: b.createdAt.toISOString(),
        createdBy: b.createdBy,
        startedAt: b.startedAt?.toISOString() ?? null,
        finishedAt: b.finishedAt?.toISOString() ?? null,
        sources: [...new Set(its.map((i) => i.sourceHostName))],
        targetHostName: b.targetHostName,
        targets: [...new Set(its.flatMap((i) => (i.targetHostName ? [i.targetHostName] : [])))].sort(),
        evacuatedHostName: b.evacuatedHostName,
        total: its.length,
        counts,
        durationMs,
        downtimeP50Ms: percentile(downs, 50),
        downtimeP95Ms: percentile(downs, 95),
        containersPerMin: durationMs && durationMs > 0 ? Math.round(((counts.done ?? 0) / durationMs) * 60_000 * 10) / 10 : null,
      };
    }),
    nextCursor: more ? batch.at(-1)!.id : null,
  };
}

export type HistoryCharts = {
  downtime: ReturnType<typeof downtimeHistogram>;
  perDay: { day: string; done: number; "rolled-back": number; skipped: number; failed: number }[];
  throughput: { at: string; perMin: number; id: string }[];
  successRate: { day: string; rate: number; total: number }[];
  /** Each target host's share of the containers in range. */
  perTarget: TargetFigures[];
  items: number;
};

/** Figures across every batch that matches the filter. */
export async function historyCharts(filter: HistoryFilter): Promise<HistoryCharts> {
  const batches = await db.migration.findMany({ where: where(filter), select: { id: true, createdAt: true, startedAt: true, finishedAt: true } });
  const ids = batches.map((b) => b.id);
  const items = await db.migrationItem.findMany({
    where: { migrationId: { in: ids } },
    select: { migrationId: true, status: true, downtimeMs: true, finishedAt: true, targetHostId: true, targetHostName: true, bytesMoved: true },
  });
  const perDay = new Map<string, HistoryCharts["perDay"][number]>();
  const doneByBatch = new Map<string, number>();
  for (const i of items) {
    if (i.status === "done") doneByBatch.set(i.migrationId, (doneByBatch.get(i.migrationId) ?? 0) + 1);
    if (!i.finishedAt || !["done", "rolled-back", "skipped", "failed"].includes(i.status)) continue;
    const day = i.finishedAt.toISOString().slice(0, 10);
    const row = perDay.get(day) ?? perDay.set(day, { day, done: 0, "rolled-back": 0, skipped: 0, failed: 0 }).get(day)!;
    row[i.status as "done"]++;
  }
  const days = [...perDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  return {
    downtime: downtimeHistogram(items.filter((i) => i.status === "done" && i.downtimeMs !== null).map((i) => i.downtimeMs!)),
    perDay: days,
    throughput: batches
      .filter((b) => b.finishedAt && (doneByBatch.get(b.id) ?? 0) > 0)
      .map((b) => {
        const ms = b.finishedAt!.getTime() - (b.startedAt ?? b.createdAt).getTime();
        return { at: (b.startedAt ?? b.createdAt).toISOString(), perMin: Math.round(((doneByBatch.get(b.id) ?? 0) / Math.max(ms, 1)) * 60_000 * 10) / 10, id: b.id };
      })
      .sort((a, b) => a.at.localeCompare(b.at)),
    successRate: days.map((d) => {
      const attempted = d.done + d["rolled-back"] + d.failed;
      return { day: d.day, rate: attempted ? Math.round((d.done / attempted) * 1000) / 10 : 0, total: attempted };
    }),
    perTarget: targetsOf(items.map((i) => ({ ...i, bytesMoved: Number(i.bytesMoved) }))),
    items: items.length,
  };
}

const RETENTION_KEY = "retention-days";
const DEFAULT_RETENTION_DAYS = 90;

export async function retentionDays(): Promise<number> {
  const row = await db.setting.findUnique({ where: { key: RETENTION_KEY } });
  const n = row ? Number(row.value) : DEFAULT_RETENTION_DAYS;
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_RETENTION_DAYS;
}

export async function setRetentionDays(days: number): Promise<void> {
  await db.setting.upsert({ where: { key: RETENTION_KEY }, create: { key: RETENTION_KEY, value: String(days) }, update: { value: String(days) } });
}

/**
 * Deletes the phase timings of batches that ended more than `days` ago. Summaries
 * (batch and item rows: status, downtime, bytes, error) stay.
 */
export async function purgeOldDetail(days: number, now = new Date()): Promise<{ phases: number }> {
  const before = new Date(now.getTime() - days * 86_400_000);
  const old = { status: { in: [...BATCH_ENDED] }, finishedAt: { lt: before } };
  const phases = await db.migrationPhase.deleteMany({ where: { item: { migration: old } } });
  return { phases: phases.count };
}
