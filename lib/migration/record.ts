import "server-only";
import { db } from "@/lib/db";
import type { Migration, MigrationItem, MigrationPhase } from "@/lib/generated/prisma/client";
import { getIo } from "@/lib/realtime/emitter";
import { ROOMS } from "@/lib/realtime/protocol";
import type { BatchStatus, ItemStatus, PhaseName } from "@/lib/migration/state";
import { migrationOptionsSchema } from "@/lib/validations/migration";
import { countByStatus, type MigrationItemView, type MigrationView, type PhaseView } from "@/lib/migration/view";

/**
 * Rows first, events second: every change is written to SQLite, then announced over socket.io.
 * A browser that joins late gets the snapshot from the database; a restarted server finds the
 * state on disk.
 */

type ItemWithPhases = MigrationItem & { phases: MigrationPhase[] };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function itemView(i: ItemWithPhases): MigrationItemView {
  return {
    id: i.id,
    seq: i.seq,
    hostId: i.sourceHostId,
    hostName: i.sourceHostName,
    containerId: i.sourceContainerId,
    name: i.name,
    image: i.image,
    status: i.status as ItemStatus,
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

export function migrationView(m: Migration & { items: ItemWithPhases[] }): MigrationView {
  const items = [...m.items].sort((a, b) => a.seq - b.seq).map(itemView);
  return {
    id: m.id,
    status: m.status as BatchStatus,
    targetHostId: m.targetHostId,
    targetHostName: m.targetHostName,
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

export async function log(migrationId: string, itemId: string | null, type: string, message: string): Promise<void> {
  const e = await db.migrationEvent.create({ data: { migrationId, itemId, type, message } });
  getIo()?.to(ROOMS.migration(migrationId)).emit("migration:log", { migrationId, itemId, at: e.at.toISOString(), type, message });
}

/** Writes an item change and announces the item's new state. */
export async function updateItem(itemId: string, data: Parameters<typeof db.migrationItem.update>[0]["data"]): Promise<MigrationItemView> {
  const item = await db.migrationItem.update({ where: { id: itemId }, data, include: { phases: true } });
  const view = itemView(item);
  getIo()?.to(ROOMS.migration(item.migrationId)).emit("migration:item", { migrationId: item.migrationId, item: view });
  return view;
}

export async function startPhase(itemId: string, name: PhaseName): Promise<string> {
  const p = await db.migrationPhase.create({ data: { itemId, name, startedAt: new Date() } });
  return p.id;
}

export async function endPhase(phaseId: string, ok: boolean, detail?: string | null, bytes?: number | null): Promise<void> {
  await db.migrationPhase.update({
    where: { id: phaseId },
    data: { endedAt: new Date(), ok, detail: detail ? detail.slice(0, 2000) : null, bytes: bytes === undefined || bytes === null ? null : BigInt(bytes) },
  });
}

export async function updateBatch(migrationId: string, data: { status?: BatchStatus; startedAt?: Date; finishedAt?: Date; cancelRequested?: boolean }): Promise<void> {
  const m = await db.migration.update({ where: { id: migrationId }, data });
  const io = getIo();
  io?.to(ROOMS.migration(migrationId)).emit("migration:batch", {
    migrationId,
    status: m.status as BatchStatus,
    finishedAt: iso(m.finishedAt),
    cancelRequested: m.cancelRequested,
  });
  io?.to(ROOMS.migrations).emit("migrations:changed");
  if (data.finishedAt) {
    const view = await loadMigrationView(migrationId);
    if (view) io?.to(ROOMS.migration(migrationId)).emit("migration:snapshot", view);
  }
}
