import "server-only";
import { db } from "@/lib/db";
import type { Migration, MigrationItem, MigrationPhase, Prisma } from "@/lib/generated/prisma/client";
import { getIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";
import { batchStatus, itemStatus, TERMINAL, transition, type BatchStatus, type ItemEvent, type ItemStatus, type PhaseName } from "@/lib/migration/state";
import { MigrationConflictError } from "@/lib/migration/errors";
import { migrationOptionsSchema, type MigrationOptions } from "@/lib/validations/migration";
import type { Plan } from "@/lib/migration/preflight";
import { countByStatus, targetsOf, type MigrationItemView, type MigrationView, type PhaseView } from "@/lib/migration/view";

/**
 * Rows first, events second: every change is written to SQLite, then announced over socket.io.
 * A browser that joins late gets the snapshot from the database; a restarted server finds the
 * state on disk.
 */

type ItemWithPhases = MigrationItem & { phases: MigrationPhase[] };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function itemView(i: ItemWithPhases): MigrationItemView {
  return {
    id: i.id,
    seq: i.seq,
    hostId: i.sourceHostId,
    hostName: i.sourceHostName,
    containerId: i.sourceContainerId,
    name: i.name,
    image: i.image,
    status: itemStatus(i.status),
    targetHostId: i.targetHostId,
    targetHostName: i.targetHostName,
    targetName: i.targetName,
    targetContainerId: i.targetContainerId,
    memoryNeedBytes: i.memoryNeedBytes === null ? null : Number(i.memoryNeedBytes),
    bytesMoved: Number(i.bytesMoved),
    downtimeMs: i.downtimeMs,
    error: i.error,
    errorCode: i.errorCode,
    warnings: i.warnings ? (JSON.parse(i.warnings) as string[]) : [],
    startedAt: iso(i.startedAt),
    finishedAt: iso(i.finishedAt),
    phases: [...i.phases]
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
      .map(
        (p): PhaseView => ({
          name: p.name as PhaseName,
          startedAt: p.startedAt.toISOString(),
          endedAt: iso(p.endedAt),
          ok: p.ok,
          detail: p.detail,
          bytes: p.bytes === null ? null : Number(p.bytes),
        }),
      ),
  };
}

function migrationView(m: Migration & { items: ItemWithPhases[] }): MigrationView {
  const items = [...m.items].sort((a, b) => a.seq - b.seq).map(itemView);
  return {
    id: m.id,
    status: batchStatus(m.status),
    targetHostId: m.targetHostId,
    targetHostName: m.targetHostName,
    targets: targetsOf(items),
    evacuatedHost: m.evacuatedHostId ? { id: m.evacuatedHostId, name: m.evacuatedHostName ?? "?" } : null,
    options: migrationOptionsSchema.parse(JSON.parse(m.options)),
    createdBy: m.createdBy,
    createdAt: m.createdAt.toISOString(),
    startedAt: iso(m.startedAt),
    finishedAt: iso(m.finishedAt),
    cancelRequested: m.cancelRequested,
    counts: countByStatus(items),
    items,
  };
}

export async function loadMigrationView(id: string): Promise<MigrationView | null> {
  const m = await db.migration.findUnique({ where: { id }, include: { items: { include: { phases: true } } } });
  return m ? migrationView(m) : null;
}

/** Fields of an item other than its status (the status changes only through `setStatus`). */
export type ItemData = Omit<Prisma.MigrationItemUpdateManyMutationInput, "status">;

/**
 * The server's log line for a batch or an item (stdout: what an operator reads next to Docker's
 * own logs). The item's row carries the same facts for the pages: status, error, warnings, phases.
 */
export function journal(subject: Pick<MigrationItem, "migrationId" | "name"> | { migrationId: string }, message: string): void {
  const who = "name" in subject ? `${subject.migrationId.slice(0, 8)}/${subject.name}` : subject.migrationId.slice(0, 8);
  console.log(`[ferry] migration ${who}: ${message}`);
}

/** Writes an item change and announces the item's new state. Never its status: see `setStatus`. */
export async function updateItem(itemId: string, data: ItemData): Promise<void> {
  const item = await db.migrationItem.update({ where: { id: itemId }, data, select: { migrationId: true } });
  await announceItem(itemId, item.migrationId);
}

/**
 * The item as it is on disk, to the browsers watching its batch. A batch nobody watches costs
 * no read: a browser that joins later gets the snapshot from the database.
 */
async function announceItem(itemId: string, migrationId: string): Promise<void> {
  const io = getIo();
  const room = ROOMS.migration(migrationId);
  if (!io?.sockets.adapter.rooms.get(room)?.size) return;
  const item = await db.migrationItem.findUnique({ where: { id: itemId }, include: { phases: true } });
  if (item) io.to(room).emit("migration:item", { migrationId, item: itemView(item) });
}

/** The end of a phase's row: its outcome, and item fields that the phase found (written with it). */
export type PhaseEnd = { phaseId: string; ok: boolean; detail?: string | null; bytes?: number | null; data?: ItemData };

const endData = (e: PhaseEnd) => ({ endedAt: new Date(), ok: e.ok, detail: e.detail ? e.detail.slice(0, 2000) : null, bytes: e.bytes === undefined || e.bytes === null ? null : BigInt(e.bytes) });

/**
 * The only writer of an item's status. The next status comes from the pure state machine, and
 * the row is written only if it is still in `from`: two writers can never both move one item.
 * With it, in the same transaction, the phase that ended (`end`) and the row of the phase that
 * starts (`start`, whose id is returned): one commit per step of a move.
 */
export async function advance(
  itemId: string,
  from: ItemStatus,
  event: ItemEvent,
  data: ItemData = {},
  phases: { end?: PhaseEnd; start?: PhaseName } = {},
): Promise<{ status: ItemStatus; phaseId: string | null }> {
  const to = transition(from, event);
  const { end, start } = phases;
  const writes = [
    db.migrationItem.update({ where: { id: itemId, status: from }, data: { ...end?.data, ...data, status: to }, select: { migrationId: true } }),
    ...(end ? [db.migrationPhase.update({ where: { id: end.phaseId }, data: endData(end), select: { id: true } })] : []),
    ...(start ? [db.migrationPhase.create({ data: { itemId, name: start, startedAt: new Date() }, select: { id: true } })] : []),
  ] as const;
  const done = await db.$transaction([...writes]).catch(async (err: unknown) => {
    if ((err as { code?: string }).code !== "P2025") throw err; // no row with that id in that status
    const now = await db.migrationItem.findUnique({ where: { id: itemId }, select: { status: true } });
    throw new Error(`item ${itemId} is ${now ? `"${now.status}"` : "gone"}, not "${from}": it cannot go ${event.type} to "${to}"`);
  });
  await announceItem(itemId, (done[0] as { migrationId: string }).migrationId);
  return { status: to, phaseId: start ? (done[done.length - 1] as { id: string }).id : null };
}

/** `advance` without phase rows. */
export async function setStatus(itemId: string, from: ItemStatus, event: ItemEvent, data: ItemData = {}): Promise<ItemStatus> {
  return (await advance(itemId, from, event, data)).status;
}

export async function startPhase(itemId: string, name: PhaseName): Promise<string> {
  const p = await db.migrationPhase.create({ data: { itemId, name, startedAt: new Date() }, select: { id: true, item: { select: { migrationId: true } } } });
  await announceItem(itemId, p.item.migrationId);
  return p.id;
}

/** Ends a phase's row outside a status change, with the item fields the phase found. */
export async function endPhase(phaseId: string, ok: boolean, detail?: string | null, bytes?: number | null): Promise<void> {
  await closePhase({ phaseId, ok, detail, bytes });
}

/** Ends a phase's row and writes the item fields it found with it (one statement: the row knows its item). */
export async function closePhase(end: PhaseEnd): Promise<void> {
  const fields = end.data && Object.keys(end.data).length ? { item: { update: end.data } } : {};
  const p = await db.migrationPhase.update({ where: { id: end.phaseId }, data: { ...endData(end), ...fields }, select: { itemId: true, item: { select: { migrationId: true } } } });
  await announceItem(p.itemId, p.item.migrationId);
}

export async function updateBatch(migrationId: string, data: { status?: BatchStatus; startedAt?: Date; finishedAt?: Date; cancelRequested?: boolean }): Promise<void> {
  const m = await db.migration.update({ where: { id: migrationId }, data });
  const io = getIo();
  io?.to(ROOMS.migration(migrationId)).emit("migration:batch", {
    migrationId,
    status: batchStatus(m.status),
    finishedAt: iso(m.finishedAt),
    cancelRequested: m.cancelRequested,
  });
  if (data.finishedAt) {
    const view = await loadMigrationView(migrationId);
    if (view) io?.to(ROOMS.migration(migrationId)).emit("migration:snapshot", view);
  }
}

/**
 * Writes a planned batch: the batch row, one item per container (blocked ones already "skipped"
 * with the pre-flight reason) and each item's pre-flight phase. One transaction.
 */
/** The targets a plan sends containers to, by name in order ("host-b, host-c"); every target it names if it sends none. */
export function targetNames(plan: Plan): string {
  const used = [...new Set(plan.items.flatMap((i) => (i.targetHostName && !i.errors.length ? [i.targetHostName] : [])))];
  return (used.length ? used : plan.targets.map((t) => t.name)).sort().join(", ");
}

export async function recordBatch(plan: Plan, options: MigrationOptions, createdBy: string): Promise<Migration> {
  const started = new Date(plan.startedAt);
  const ended = new Date(plan.finishedAt);
  return db.$transaction(async (tx) => {
    const runnable = plan.items.filter((i) => i.errors.length === 0);
    if (runnable.length) {
      const busy = await tx.migrationItem.findMany({
        where: { status: { notIn: [...TERMINAL] }, OR: runnable.map((i) => ({ sourceHostId: i.hostId, sourceContainerId: i.containerId })) },
        select: { name: true },
      });
      if (busy.length) throw new MigrationConflictError([...new Set(busy.map((b) => b.name))]);
    }
    const m = await tx.migration.create({
      data: {
        status: "running",
        // A batch's own target only when it has exactly one; its items always say theirs.
        targetHostId: plan.targets.length === 1 ? plan.targets[0]!.id : null,
        targetHostName: targetNames(plan),
        evacuatedHostId: plan.evacuate?.hostId ?? null,
        evacuatedHostName: plan.evacuate?.hostName ?? null,
        options: JSON.stringify(options),
        createdBy,
        startedAt: started,
      },
    });
    // Two statements for any number of containers: a 400-container batch is recorded in
    // milliseconds, not one insert per item and per phase row.
    const items = await tx.migrationItem.createManyAndReturn({
      data: plan.items.map((i, seq) => {
        const blocked = i.errors.length > 0;
        return {
          migrationId: m.id,
          seq,
          sourceHostId: i.hostId,
          sourceHostName: i.hostName,
          sourceContainerId: i.containerId,
          name: i.name,
          image: i.image,
          targetHostId: i.targetHostId,
          targetHostName: i.targetHostName,
          status: blocked ? "skipped" : "pending",
          targetName: i.targetName,
          memoryNeedBytes: BigInt(i.memoryNeedBytes),
          externalConnections: i.externalConnections,
          error: blocked ? `pre-flight: ${i.errors.join("; ")}` : null,
          errorCode: blocked ? "PREFLIGHT" : null,
          warnings: i.warnings.length ? JSON.stringify(i.warnings) : null,
          finishedAt: blocked ? ended : null,
        };
      }),
      select: { id: true, seq: true },
    });
    const bySeq = new Map(items.map((r) => [r.seq, r.id]));
    await tx.migrationPhase.createMany({
      data: plan.items.map((i, seq) => {
        const blocked = i.errors.length > 0;
        return { itemId: bySeq.get(seq)!, name: "preflight", startedAt: started, endedAt: ended, ok: !blocked, detail: blocked ? i.errors.join("; ") : i.warnings.join("; ") || "ok" };
      }),
    });
    return m;
  });
}
