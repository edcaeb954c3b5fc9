import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import type { Plan } from "@/lib/migration/preflight";
import { historyCharts, listBatches, purgeOldDetail } from "@/lib/migration/history";
import { endPhase, loadMigrationView, recordBatch, setStatus, startPhase, updateBatch, updateItem } from "@/lib/migration/record";
import { CSV_COLUMNS, migrationCsv, parseCsv, percentile, phaseDurations } from "@/lib/migration/stats";
import { PHASES } from "@/lib/migration/phases";
import { PHASE_NAMES, type ItemStatus } from "@/lib/migration/state";

/**
 * History over a real SQLite database, seeded through the engine's own recording functions
 * (recordBatch, startPhase/endPhase, updateItem, updateBatch), as a batch run writes them.
 */

const options = { keepSource: false, concurrency: 2, nameConflict: "fail" as const };

function plan(n: number, tag: string, targetId = "host-b"): Plan {
  const now = new Date().toISOString();
  return {
    targets: [{ id: targetId, name: "hist-b", budgetBytes: 1e9, usedBytes: 0, memTotal: 2e9, concurrency: 2, maintenance: false, unavailable: null, plannedCount: n, plannedBytes: n * 15_000_000 }],
    evacuate: null,
    options,
    items: Array.from({ length: n }, (_, i) => ({
      hostId: "host-a",
      hostName: "hist-a",
      containerId: `${tag}-${i}`.padEnd(12, "0"),
      name: `${tag}-${i}`,
      image: "ferry/counter:lab",
      imageId: null,
      targetHostId: targetId,
      targetHostName: "hist-b",
      targetName: `${tag}-${i}`,
      memoryNeedBytes: 15_000_000,
      externalConnections: 0,
      errors: i === n - 1 && n > 2 ? ["only running containers can be live-migrated (this one is exited)"] : [],
      warnings: [],
    })),
    startedAt: now,
    finishedAt: now,
  };
}

/** Walks an item through the phases as the engine does (through the state machine), with the given outcome. */
async function run(itemId: string, outcome: "done" | "rolled-back", downtimeMs: number, bytes: number) {
  let status: ItemStatus = "pending";
  for (;;) {
    status = await setStatus(itemId, status, { type: "advance" }, status === "pending" ? { startedAt: new Date() } : {});
    if (status === "done") break;
    const name = PHASES.find((p) => p.status === status)!.phase;
    const p = await startPhase(itemId, name);
    if (outcome === "rolled-back" && name === "restore") {
      await endPhase(p, false, "restore: criu failed");
      status = await setStatus(itemId, status, { type: "fail", reason: "restore: criu failed" }, { error: "restore: criu failed" });
      const rb = await startPhase(itemId, "rollback");
      await endPhase(rb, true, "source resumed from its checkpoint");
      await setStatus(itemId, status, { type: "rolled-back" }, { downtimeMs, finishedAt: new Date() });
      return;
    }
    await endPhase(p, true, undefined, name === "transfer" ? bytes : undefined);
  }
  await updateItem(itemId, { downtimeMs, bytesMoved: BigInt(bytes), finishedAt: new Date() });
}

describe("migration history", () => {
  let batchId: string;
  afterAll(async () => {
    await db.migration.deleteMany();
  });

  beforeAll(async () => {
    await db.migration.deleteMany();
    const m = await recordBatch(plan(4, "hist"), options, "admin");
    batchId = m.id;
    const items = await db.migrationItem.findMany({ where: { migrationId: m.id }, orderBy: { seq: "asc" } });
    await run(items[0]!.id, "done", 1200, 190_000);
    await run(items[1]!.id, "done", 2400, 200_000);
    await run(items[2]!.id, "rolled-back", 900, 0);
    await updateBatch(m.id, { status: "failed", finishedAt: new Date() });
  });

  it("setStatus moves an item only from the status it is in: a second writer with a stale status is refused", async () => {
    const m = await recordBatch(plan(1, "race"), options, "admin");
    const [item] = await db.migrationItem.findMany({ where: { migrationId: m.id } });
    expect(await setStatus(item!.id, "pending", { type: "advance" })).toBe("image-sync");
    await expect(setStatus(item!.id, "pending", { type: "skip", reason: "late" })).rejects.toThrow(`item ${item!.id} is "image-sync", not "pending": it cannot go skip to "skipped"`);
    expect((await db.migrationItem.findUniqueOrThrow({ where: { id: item!.id } })).status).toBe("image-sync");
    await db.migration.delete({ where: { id: m.id } });
  });

  it("summarises a batch: counts per outcome, total time, downtime percentiles", async () => {
    const { batches } = await listBatches({}, { limit: 10 });
    const b = batches.find((x) => x.id === batchId)!;
    expect(b.counts).toEqual({ done: 2, "rolled-back": 1, skipped: 1 });
    expect(b.total).toBe(4);
    expect(b.sources).toEqual(["hist-a"]);
    expect(b.targetHostName).toBe("hist-b");
    expect(b.downtimeP50Ms).toBe(1200);
    expect(b.downtimeP95Ms).toBe(2400);
    expect(b.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("keeps each container's phases in order, with the failure and the rollback", async () => {
    const v = (await loadMigrationView(batchId))!;
    expect(v.items[0]!.phases.map((p) => p.name)).toEqual(["preflight", "image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup"]);
    expect(v.items[2]!.phases.map((p) => [p.name, p.ok])).toEqual([
      ["preflight", true],
      ["image-sync", true],
      ["create", true],
      ["checkpoint", true],
      ["transfer", true],
      ["restore", false],
      ["rollback", true],
    ]);
    expect(v.items[3]).toMatchObject({ status: "skipped", error: "pre-flight: only running containers can be live-migrated (this one is exited)" });
  });

  it("exports CSV with one row per container that parses back to the same numbers", async () => {
    const v = (await loadMigrationView(batchId))!;
    const rows = parseCsv(migrationCsv(v));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(5);
    rows.slice(1).forEach((r, i) => {
      const item = v.items[i]!;
      const rec = Object.fromEntries(CSV_COLUMNS.map((c, k) => [c, r[k]]));
      expect(rec.name).toBe(item.name);
      expect(rec.status).toBe(item.status);
      expect(rec.downtimeMs).toBe(item.downtimeMs === null ? "" : String(item.downtimeMs));
      expect(Number(rec.bytes)).toBe(item.bytesMoved);
      const d = phaseDurations(item);
      for (const p of PHASE_NAMES) expect(rec[`${p}Ms`]).toBe(d[p] === null ? "" : String(d[p]));
      expect(rec.error).toBe(item.error ?? "");
    });
  });

  it("filters by host, outcome and date, and pages with a cursor", async () => {
    for (let k = 0; k < 3; k++) {
      const m = await recordBatch(plan(2, `page${k}`, "host-c"), options, "script");
      const items = await db.migrationItem.findMany({ where: { migrationId: m.id } });
      for (const it of items) await run(it.id, "done", 1000 + k, 1000);
      await updateBatch(m.id, { status: "done", finishedAt: new Date() });
    }
    expect((await listBatches({ outcome: "failed" }, { limit: 10 })).batches.map((b) => b.id)).toEqual([batchId]);
    expect((await listBatches({ host: "host-c" }, { limit: 10 })).batches).toHaveLength(3);
    expect((await listBatches({ host: "host-a" }, { limit: 10 })).batches).toHaveLength(4);
    const today = new Date().toISOString().slice(0, 10);
    expect((await listBatches({ from: today, to: today }, { limit: 10 })).batches).toHaveLength(4);
    expect((await listBatches({ to: "2000-01-01" }, { limit: 10 })).batches).toHaveLength(0);
    const first = await listBatches({}, { limit: 3 });
    const second = await listBatches({}, { limit: 3, cursor: first.nextCursor! });
    expect(first.batches).toHaveLength(3);
    expect(second.batches).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.batches, ...second.batches].map((b) => b.id)).size).toBe(4);
  });

  it("draws charts across batches from the same records", async () => {
    const c = await historyCharts({});
    const downs = (await db.migrationItem.findMany({ where: { status: "done" } })).map((i) => i.downtimeMs!);
    expect(c.downtime.reduce((s, b) => s + b.count, 0)).toBe(downs.length);
    expect(c.perDay).toHaveLength(1);
    expect(c.perDay[0]).toMatchObject({ done: 8, "rolled-back": 1, skipped: 1, failed: 0 });
    expect(c.successRate[0]!.rate).toBeCloseTo((8 / 9) * 100, 0);
    expect(c.throughput).toHaveLength(4);
    expect(percentile(downs, 50)).toBe(1001);
  });

  it("retention removes old detail and keeps the summaries", async () => {
    const later = new Date(Date.now() + 10 * 86_400_000);
    const r = await purgeOldDetail(7, later);
    expect(r.phases).toBeGreaterThan(0);
    const v = (await loadMigrationView(batchId))!;
    expect(v.items.every((i) => i.phases.length === 0)).toBe(true);
    expect(v.items.map((i) => i.downtimeMs)).toEqual([1200, 2400, 900, null]);
    expect((await listBatches({}, { limit: 10 })).batches.find((b) => b.id === batchId)!.downtimeP95Ms).toBe(2400);
  });

  it("stays fast at 10,000 containers (figures printed, not asserted)", async () => {
    await db.migration.deleteMany();
    const t0 = Date.now();
    for (let k = 0; k < 50; k++) {
      const m = await recordBatch(plan(200, `big${k}`), options, "bench");
      await db.migrationItem.updateMany({ where: { migrationId: m.id, status: "pending" }, data: { status: "done", downtimeMs: 1000 + k * 10, finishedAt: new Date() } });
      await updateBatch(m.id, { status: "done", finishedAt: new Date() });
    }
    const seeded = Date.now() - t0;
    expect(await db.migrationItem.count()).toBe(10_000);
    const t1 = Date.now();
    const page = await listBatches({}, { limit: 25 });
    const tPage = Date.now() - t1;
    const t2 = Date.now();
    const charts = await historyCharts({});
    const tCharts = Date.now() - t2;
    expect(page.batches).toHaveLength(25);
    expect(charts.items).toBe(10_000);
    console.log(`[figures] 10,000 items: seeded in ${seeded} ms; first history page ${tPage} ms; charts over all ${tCharts} ms`);
  });
});
