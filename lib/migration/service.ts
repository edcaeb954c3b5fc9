import "server-only";
import { db } from "@/lib/db";
import { InputError } from "@/lib/errors";
import { engine, type MigrationEngine } from "@/lib/migration/engine";
import { MigrationConflictError } from "@/lib/migration/errors";
import { isBatchEnded } from "@/lib/migration/state";
import { activeContainers, planMigration, type Plan } from "@/lib/migration/preflight";
import { loadMigrationView, log, recordBatch } from "@/lib/migration/record";
import type { MigrationView } from "@/lib/migration/view";
import { migrationOptionsSchema, migrationRequestSchema, type MigrationRequest } from "@/lib/validations/migration";

export { MigrationConflictError };

export class MigrationNotFoundError extends Error {
  readonly code = "MIGRATION_NOT_FOUND";
  constructor(id: string) {
    super(`No migration with id ${id}`);
  }
}

/** Pre-flight only: what would happen, nothing stops. */
export async function previewMigration(request: MigrationRequest): Promise<Plan> {
  const req = migrationRequestSchema.parse(request);
  return planMigration(req, migrationOptionsSchema.parse(req.options ?? {}));
}

/**
 * Plans, records and starts a batch. Containers that pre-flight blocks are recorded as skipped
 * with the reason; the rest run in the background. Returns once the batch is on disk.
 */
export async function startMigration(request: MigrationRequest, createdBy: string, eng: Pick<MigrationEngine, "start"> = engine()): Promise<{ id: string; plan: Plan }> {
  const req = migrationRequestSchema.parse(request);
  const options = migrationOptionsSchema.parse(req.options ?? {});
  const known = new Set((await db.host.findMany({ select: { id: true } })).map((h) => h.id));
  const fields: Record<string, string[]> = {};
  if (!known.has(req.targetHostId)) fields.targetHostId = [`no host with id ${req.targetHostId}`];
  req.items.forEach((i, n) => {
    if (!known.has(i.hostId)) fields[`items.${n}.hostId`] = [`no host with id ${i.hostId}`];
  });
  if (Object.keys(fields).length) throw new InputError("Unknown host", fields);
  const active = await activeContainers();
  const busy = req.items.filter((i) => active.has(`${i.hostId}/${i.containerId}`)).map((i) => i.containerId);
  if (busy.length) throw new MigrationConflictError(busy);
  const plan = await planMigration(req, options);
  // Names and ids resolve during planning; check the lock again with full ids.
  const busyById = plan.items.filter((i) => active.has(`${i.hostId}/${i.containerId}`)).map((i) => i.name);
  if (busyById.length) throw new MigrationConflictError(busyById);

  // The check that counts: inside the transaction that records the batch (pre-flight takes
  // seconds, and two requests for the same container may both have passed the checks above).
  const migration = await recordBatch(plan, options, createdBy);
  await log(migration.id, null, "created", `${plan.items.length} container(s) → ${plan.target.name} by ${createdBy}`);
  void eng.start(migration.id);
  return { id: migration.id, plan };
}

export async function getMigration(id: string): Promise<MigrationView> {
  const view = await loadMigrationView(id);
  if (!view) throw new MigrationNotFoundError(id);
  return view;
}

export async function cancelMigration(id: string, eng: MigrationEngine = engine()): Promise<MigrationView> {
  const view = await getMigration(id);
  if (isBatchEnded(view.status)) return view;
  await eng.cancel(id);
  return getMigration(id);
}
