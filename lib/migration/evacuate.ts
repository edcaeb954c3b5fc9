import "server-only";
import { db } from "@/lib/db";
import { InputError } from "@/lib/errors";
import { getHost, setMaintenance } from "@/lib/hosts/service";
import { call, HELPER_LABEL, openSide } from "@/lib/migration/docker-ops";
import { engine, type MigrationEngine } from "@/lib/migration/engine";
import { planMigration, type Plan, type PlanRequest } from "@/lib/migration/preflight";
import { getMigration, runPlanned } from "@/lib/migration/service";
import type { MigrationView } from "@/lib/migration/view";
import { evacuateRequestSchema, migrationOptionsSchema, type EvacuateRequest } from "@/lib/validations/migration";

/**
 * "Evacuate host-a": every running container of a host, planned onto the other hosts by each
 * one's free memory budget (pre-flight's checks for each candidate), then moved as one batch with
 * a target per item. What no host can take stays running where it is, with the reason. The host
 * is put into maintenance first, so no other batch moves containers onto it meanwhile.
 */

export type Evacuation = {
  plan: Plan;
  /** The batch that moves them (null for a dry run, or when the host runs no container). */
  migration: MigrationView | null;
};

/** The hosts an evacuation may use: the ones named (checked), or every other host. */
async function candidatesFor(hostId: string, hostName: string, named: string[] | undefined): Promise<string[]> {
  const hosts = await db.host.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } });
  if (!named) return hosts.filter((h) => h.id !== hostId).map((h) => h.id);
  const known = new Set(hosts.map((h) => h.id));
  const fields: Record<string, string[]> = {};
  named.forEach((id, n) => {
    if (!known.has(id)) fields[`targetHostIds.${n}`] = [`no host with id ${id}`];
    else if (id === hostId) fields[`targetHostIds.${n}`] = [`${hostName} is the host being evacuated`];
  });
  if (Object.keys(fields).length) throw new InputError("Unknown or wrong target host", fields);
  return named;
}

/** The host's running containers, in the containers table's order (by name), Ferry's own helpers left out. */
async function runningContainers(hostId: string): Promise<PlanRequest["items"]> {
  const side = await openSide(await getHost(hostId));
  const list = await call(side, () => side.docker.listContainers({ all: false }));
  return list
    .filter((c) => !(HELPER_LABEL in (c.Labels ?? {})))
    .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, "") }))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
    .map((c) => ({ hostId, containerId: c.id }));
}

/** Plans (dryRun) or starts an evacuation. */
export async function evacuateHost(hostId: string, input: EvacuateRequest, createdBy: string, eng: Pick<MigrationEngine, "start"> = engine()): Promise<Evacuation> {
  const req = evacuateRequestSchema.parse(input);
  const options = migrationOptionsSchema.parse(req.options ?? {});
  const host = await getHost(hostId);
  const candidates = await candidatesFor(host.id, host.name, req.targetHostIds);
  const request: PlanRequest = { items: await runningContainers(host.id), candidates, evacuate: { hostId: host.id, hostName: host.name } };
  // Before planning: from now on no other batch moves containers onto the host being emptied.
  if (!req.dryRun) await setMaintenance(host.id, true);
  if (req.dryRun || !request.items.length) {
    const plan = await planMigration(request, options);
    return { plan, migration: null };
  }
  const { id, plan } = await runPlanned(request, options, createdBy, eng, { refuseBusy: false });
  return { plan, migration: await getMigration(id) };
}
