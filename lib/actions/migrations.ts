"use server";
import { ZodError } from "zod";
import { requireUser } from "@/lib/auth/current";
import { InputError } from "@/lib/errors";
import type { Plan } from "@/lib/migration/preflight";
import { cancelMigration, MigrationConflictError, MigrationNotFoundError, previewMigration, startMigration } from "@/lib/migration/service";
import { evacuateHost } from "@/lib/migration/evacuate";
import { HostNotFoundError } from "@/lib/hosts/service";
import { DockerError } from "@/lib/docker/errors";
import { migrationIdSchema, type EvacuateRequest, type MigrationRequest } from "@/lib/validations/migration";
import { fieldErrors, hostIdSchema } from "@/lib/validations/host";

export type MigrationActionState = { ok: boolean; message?: string; errors?: Record<string, string[]>; plan?: Plan; id?: string };

function failure(err: unknown): MigrationActionState {
  if (err instanceof ZodError) return { ok: false, message: err.issues.map((i) => i.message).join("; "), errors: fieldErrors(err) };
  if (err instanceof InputError) return { ok: false, message: err.message, errors: err.fieldErrors };
  if (err instanceof MigrationConflictError || err instanceof MigrationNotFoundError || err instanceof HostNotFoundError || err instanceof DockerError) return { ok: false, message: err.message };
  console.error("[ferry] migration action failed:", err);
  return { ok: false, message: "Unexpected error; see the server log" };
}

/** Pre-flight: the plan for the selection, nothing stops. */
export async function previewMigrationAction(request: MigrationRequest): Promise<MigrationActionState> {
  await requireUser();
  try {
    return { ok: true, plan: await previewMigration(request) };
  } catch (err) {
    return failure(err);
  }
}

/** Starts the batch; the engine runs it in the server process, outside this request. */
export async function startMigrationAction(request: MigrationRequest): Promise<MigrationActionState> {
  const user = await requireUser();
  try {
    const { id } = await startMigration(request, user.username);
    return { ok: true, id };
  } catch (err) {
    return failure(err);
  }
}

export async function cancelMigrationAction(id: string): Promise<MigrationActionState> {
  await requireUser();
  try {
    const view = await cancelMigration(migrationIdSchema.parse(id));
    return { ok: true, message: view.cancelRequested ? "Cancelling: no further containers start" : `The batch has ended (${view.status})` };
  } catch (err) {
    return failure(err);
  }
}

/** Hosts → Evacuate: the plan for every running container of the host; nothing stops, nothing is set. */
export async function previewEvacuationAction(hostId: string, request: Omit<EvacuateRequest, "dryRun">): Promise<MigrationActionState> {
  await requireUser();
  try {
    const { plan } = await evacuateHost(hostIdSchema.parse(hostId), { ...request, dryRun: true }, "preview");
    return { ok: true, plan };
  } catch (err) {
    return failure(err);
  }
}

/** Starts the evacuation: the host goes into maintenance, the batch runs in the server process. */
export async function startEvacuationAction(hostId: string, request: Omit<EvacuateRequest, "dryRun">): Promise<MigrationActionState> {
  const user = await requireUser();
  try {
    const { plan, migration } = await evacuateHost(hostIdSchema.parse(hostId), { ...request, dryRun: false }, user.username);
    return { ok: true, plan, id: migration?.id, message: migration ? undefined : `${plan.evacuate?.hostName} runs no container; it is in maintenance now` };
  } catch (err) {
    return failure(err);
  }
}
