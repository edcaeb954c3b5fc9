import "server-only";
import { db } from "@/lib/db";
import { InputError } from "@/lib/errors";
import { engine, type MigrationEngine } from "@/lib/migration/engine";
import { MigrationConflictError } from "@/lib/migration/errors";
import { isBatchEnded } from "@/lib/migration/state";
import { activeContainers, planMigration, type Plan, type PlanRequest } from "@/lib/migration/preflight";
import { journal, loadMigrationView, recordBatch, targetNames } from "@/lib/migration/record";
import type { MigrationView } from "@/lib/migration/view";
import { migrationOptionsSchema, migrationRequestSchema, targetOf, type MigrationOptions, type MigrationRequest, type MigrationRequestParsed } from "@/lib/validations/migration";

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
  return planMigration(planRequest(req), migrationOptionsSchema.parse(req.options ?? {}));
}

/** Each item with its own target (the item's, or the batch's). */
const planRequest = (req: MigrationRequestParsed) => ({ items: req.items.map((i) => ({ hostId: i.hostId, containerId: i.containerId, targetHostId: targetOf(req, i) })) });

/**
 * Plans, records and starts a batch. Containers that pre-flight blocks are recorded as skipped
 * with the reason; the rest run in the background. Returns once the batch is on disk.
 */
export async function startMigration(request: MigrationRequest, createdBy: string, eng: Pick<MigrationEngine, "start"> = engine()): Promise<{ id: string; plan: Plan }> {
  const req = migrationRequestSchema.parse(request);
  const options = migrationOptionsSchema.parse(req.options ?? {});
  const known = new Set((await db.host.findMany({ select: { id: true } })).map((h) => h.id));
  const fields: Record<string, string[]> = {};
  if (req.targetHostId && !known.has(req.targetHostId)) fields.targetHostId = [`no host with id ${req.targetHostId}`];
  req.items.forEach((i, n) => {
    if (!known.has(i.hostId)) fields[`items.${n}.hostId`] = [`no host with id ${i.hostId}`];
    if (i.targetHostId && !known.has(i.targetHostId)) fields[`items.${n}.targetHostId`] = [`no host with id ${i.targetHostId}`];
  });
  if (Object.keys(fields).length) throw new InputError("Unknown host", fields);
  // A container on the target itself is a mistake in the request, not a skip reason.
  req.items.forEach((i, n) => {
    if (i.hostId === targetOf(req, i)) fields[`items.${n}.hostId`] = [`${i.containerId} already runs on the target host`];
  });
  if (Object.keys(fields).length) throw new InputError("Source and target are the same host", fields);
  return runPlanned(planRequest(req), options, createdBy, eng);
}

/**
 * Plans, records and starts a batch of any kind (chosen containers, an evacuation): the locks are
 * checked before pre-flight, and again in the transaction that records the batch.
 */
export async function runPlanned(
  request: PlanRequest,
  options: MigrationOptions,
  createdBy: string,
  eng: Pick<MigrationEngine, "start">,
  { refuseBusy = true }: { refuseBusy?: boolean } = {},
): Promise<{ id: string; plan: Plan }> {
  // A chosen container that another batch moves is a conflict; in an evacuation it is one of the
  // host's containers that pre-flight skips ("already being migrated by another batch").
  const active = refuseBusy ? await activeContainers() : new Set<string>();
  const busy = request.items.filter((i) => active.has(`${i.hostId}/${i.containerId}`)).map((i) => i.containerId);
  if (busy.length) throw new MigrationConflictError(busy);
  const plan = await planMigration(request, options);
  assertKnownContainers(plan);
  // Names and ids resolve during planning; check the lock again with full ids.
  const busyById = plan.items.filter((i) => active.has(`${i.hostId}/${i.containerId}`)).map((i) => i.name);
  if (busyById.length) throw new MigrationConflictError(busyById);

  // The check that counts: inside the transaction that records the batch (pre-flight takes
  // seconds, and two requests for the same container may both have passed the checks above).
  const migration = await recordBatch(plan, options, createdBy);
  journal({ migrationId: migration.id }, `${plan.items.length} container(s) → ${targetNames(plan) || "no host"} by ${createdBy}${plan.evacuate ? ` (evacuating ${plan.evacuate.hostName})` : ""}`);
  void eng.start(migration.id);
  return { id: migration.id, plan };
}

/**
 * Refuses a batch that names a container its host does not have, or one container twice (by name
 * and by id): wrong input, so nothing is recorded. What a host could not answer, and what pre-flight
 * refuses for a reason (not running, name taken, CRIU), is recorded as skipped instead.
 */
function assertKnownContainers(plan: Plan): void {
  const fields: Record<string, string[]> = {};
  const seen = new Map<string, number>();
  plan.items.forEach((item, n) => {
    const missing = item.errors.find((e) => e.startsWith(`no container ${item.containerId} on `));
    if (missing) fields[`items.${n}.containerId`] = [missing];
    const key = `${item.hostId}/${item.containerId}`;
    const first = seen.get(key);
    if (first !== undefined && !missing) fields[`items.${n}.containerId`] = [`${item.name} is listed twice (items ${first} and ${n} are the same container)`];
    else seen.set(key, n);
  });
  if (Object.keys(fields).length) {
    const unknown = Object.values(fields).some((m) => m[0]!.startsWith("no container"));
    throw new InputError(unknown ? "Unknown container" : "A container is listed twice", fields);
  }
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
