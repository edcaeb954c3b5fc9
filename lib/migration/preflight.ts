import "server-only";
import type Docker from "dockerode";
import { db } from "@/lib/db";
import { toDockerError } from "@/lib/docker/errors";
import type { Host } from "@/lib/generated/prisma/client";
import { defaultBudget, memoryNeed, SHIM_OVERHEAD_BYTES, CapacityLedger } from "@/lib/migration/capacity";
import { call, inspectOrNull, openSide, type Side } from "@/lib/migration/docker-ops";
import { holdsInetSockets, describeInventory, type SocketInventory } from "@/lib/migration/connections";
import { hostCriu, summarize, type CriuCapability, type CriuProbe } from "@/lib/migration/criu";
import { scanContainers } from "@/lib/migration/host-scan";
import { mapLimit } from "@/lib/migration/semaphore";
import { TERMINAL } from "@/lib/migration/state";
import type { MigrationOptions, MigrationRequestParsed } from "@/lib/validations/migration";
import { cachedMemory } from "@/lib/hosts/containers";
import { sampleMemory } from "@/lib/docker/inspect";
import { env } from "@/lib/env";

/** Pre-flight for a whole batch, before anything stops: what will happen to each container. */

export type PlanItem = {
  hostId: string;
  hostName: string;
  containerId: string;
  name: string;
  image: string;
  imageId: string | null;
  targetName: string | null;
  memoryNeedBytes: number;
  /** Connections to peers outside the container: closed just before its checkpoint. */
  externalConnections: number;
  errors: string[];
  warnings: string[];
};

export type Plan = {
  target: { id: string; name: string; budgetBytes: number; usedBytes: number; memTotal: number; concurrency: number };
  options: MigrationOptions;
  items: PlanItem[];
  startedAt: string;
  finishedAt: string;
};

const ACTIVE_EXCLUDE = [...TERMINAL];

/** Containers (hostId/containerId) already in a migration that has not ended. */
export async function activeContainers(): Promise<Set<string>> {
  const rows = await db.migrationItem.findMany({
    where: { status: { notIn: ACTIVE_EXCLUDE } },
    select: { sourceHostId: true, sourceContainerId: true },
  });
  return new Set(rows.map((r) => `${r.sourceHostId}/${r.sourceContainerId}`));
}

async function sideOrError(host: Host): Promise<Side | string> {
  try {
    return await openSide(host);
  } catch (err) {
    return toDockerError(err, host.name).message;
  }
}

/** Memory Ferry counts as used on a target: running containers plus a shim each. */
export async function targetUsage(side: Side): Promise<number> {
  const running = await call(side, () => side.docker.listContainers({ all: false }));
  const mem = await memoryOf(side, running.map((c) => ({ id: c.Id })));
  return running.reduce((sum, c) => sum + (mem.get(c.Id) ?? 0) + SHIM_OVERHEAD_BYTES, 0);
}

/** The containers table's memory samples of these containers that are under two minutes old. */
function recentMemory(hostId: string, ids: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of ids) {
    const bytes = cachedMemory(hostId, id, 120_000);
    if (bytes !== undefined) out.set(id, bytes);
  }
  return out;
}

/** Memory of containers: the table's recent samples, read from their cgroups otherwise. */
async function memoryOf(side: Side, containers: { id: string }[]): Promise<Map<string, number>> {
  const out = recentMemory(side.host.id, containers.map((c) => c.id));
  const missing = containers.filter((c) => !out.has(c.id));
  for (const [id, bytes] of (await scanContainers(side, missing, { sockets: false, memory: true })).memory) out.set(id, bytes);
  return out;
}

/** Docker calls pre-flight makes at once per batch (inspects of the containers asked about). */
const PREFLIGHT_CALLS = 8;

/** Command lines of the container's running `docker exec` sessions. */
async function runningExecs(side: Side, c: Docker.ContainerInspectInfo): Promise<string[]> {
  const ids = ((c as { ExecIDs?: string[] | null }).ExecIDs ?? []).slice(0, 20);
  const out: string[] = [];
  for (const id of ids) {
    const e = (await call(side, () => side.docker.getExec(id).inspect()).catch(() => null)) as { Running?: boolean; ProcessConfig?: { entrypoint?: string; arguments?: string[] } } | null;
    if (e?.Running) out.push([e.ProcessConfig?.entrypoint, ...(e.ProcessConfig?.arguments ?? [])].filter(Boolean).join(" ").slice(0, 80));
  }
  return out;
}

/** The capabilities a container needs of CRIU, from what its processes hold (all of them if unknown). */
function criuNeeds(inv: SocketInventory | null): CriuCapability[] {
  const base: CriuCapability[] = ["pipe", "unix", "file", "threads"];
  if (!inv) return [...base, "tcp-listen", "tcp-established"];
  if (holdsInetSockets(inv)) base.push("tcp-listen");
  if (inv.internal.length) base.push("tcp-established");
  return base;
}

function refuseForCriu(item: PlanItem, role: "source" | "target", host: string, probe: CriuProbe, missing: CriuProbe["capabilities"]): void {
  item.errors.push(`${role}: ${summarize(host, missing) || probe.error}`);
}

export function hostBudget(host: Pick<Host, "memoryBudgetBytes" | "memTotal">, memTotal: number): number {
  return host.memoryBudgetBytes !== null ? Number(host.memoryBudgetBytes) : defaultBudget(memTotal);
}

export async function planMigration(req: MigrationRequestParsed, options: MigrationOptions): Promise<Plan> {
  const startedAt = new Date().toISOString();
  const targetHost = await db.host.findUnique({ where: { id: req.targetHostId } });
  const hostIds = [...new Set(req.items.map((i) => i.hostId))];
  const hosts = new Map((await db.host.findMany({ where: { id: { in: hostIds } } })).map((h) => [h.id, h]));
  const active = await activeContainers();

  const items: PlanItem[] = req.items.map((r) => ({
    hostId: r.hostId,
    hostName: hosts.get(r.hostId)?.name ?? "?",
    containerId: r.containerId,
    name: r.containerId,
    image: "",
    imageId: null,
    targetName: null,
    memoryNeedBytes: 0,
    externalConnections: 0,
    errors: [],
    warnings: [],
  }));

  const emptyTarget = { id: req.targetHostId, name: targetHost?.name ?? "?", budgetBytes: 0, usedBytes: 0, memTotal: 0, concurrency: options.concurrency };
  const finish = (target = emptyTarget): Plan => ({ target, options, items, startedAt, finishedAt: new Date().toISOString() });

  if (!targetHost) {
    for (const i of items) i.errors.push(`target host ${req.targetHostId} is not registered`);
    return finish();
  }
  const tgt = await sideOrError(targetHost);
  if (typeof tgt === "string") {
    for (const i of items) i.errors.push(`target ${tgt}`);
    return finish();
  }
  const tgtCriu = await hostCriu(tgt);
  const memTotal = tgt.memTotal;
  const budget = hostBudget(targetHost, memTotal);
  const used = await targetUsage(tgt);
  const target = { id: targetHost.id, name: targetHost.name, budgetBytes: budget, usedBytes: used, memTotal, concurrency: targetHost.maxConcurrency ?? options.concurrency };
  const targetNames = new Set((await call(tgt, () => tgt.docker.listContainers({ all: true }))).flatMap((c) => c.Names.map((n) => n.replace(/^\//, ""))));
  const targetNetworks = new Set((await call(tgt, () => tgt.docker.listNetworks())).map((n) => n.Name));

  // Sources, each opened and probed once.
  const sides = new Map<string, Side | string>();
  const criu = new Map<string, CriuProbe>();
  for (const id of hostIds) {
    const h = hosts.get(id);
    if (!h) {
      sides.set(id, `source host ${id} is not registered`);
      continue;
    }
    const side = await sideOrError(h);
    sides.set(id, side);
    if (typeof side !== "string") criu.set(id, await hostCriu(side));
  }

  // Every container's inspect (and its running execs) at once, a few calls at a time; then the
  // checks in the batch's order (names taken on the target depend on the items before).
  const looked = await mapLimit(items, PREFLIGHT_CALLS, async (item) => {
    const side = sides.get(item.hostId)!;
    if (typeof side === "string") return { side, c: null, execs: [] as string[], error: `source ${side}` };
    try {
      const c = await inspectOrNull(side, item.containerId);
      return { side, c, execs: c ? await runningExecs(side, c) : [], error: null };
    } catch (err) {
      return { side, c: null, execs: [] as string[], error: toDockerError(err, side.host.name).message };
    }
  });
  const infos = new Map<PlanItem, Docker.ContainerInspectInfo>();
  for (const [n, item] of items.entries()) {
    const { side, c, execs, error } = looked[n]!;
    if (typeof side === "string" || error) {
      item.errors.push(error!);
      continue;
    }
    if (item.hostId === targetHost.id) item.errors.push("the container already runs on the target host");
    if (!c) {
      if (!item.errors.length) item.errors.push(`no container ${item.containerId} on ${side.host.name}`);
      continue;
    }
    infos.set(item, c);
    item.containerId = c.Id;
    item.name = c.Name.replace(/^\//, "");
    item.image = c.Config.Image;
    item.imageId = c.Image;
    if (active.has(`${item.hostId}/${c.Id}`)) item.errors.push("already being migrated by another batch");
    if (!c.State.Running || c.State.Paused) item.errors.push(`only running containers can be live-migrated (this one is ${c.State.Status})`);

    // Name on the target.
    let name = item.name;
    if (targetNames.has(name)) {
      if (options.nameConflict === "fail") item.errors.push(`the name "${name}" is taken on ${targetHost.name} (choose "rename" to add a suffix)`);
      else {
        let n = 1;
        name = `${item.name}-migrated`;
        while (targetNames.has(name)) name = `${item.name}-migrated-${++n}`;
        item.warnings.push(`will be named "${name}" on ${targetHost.name}`);
      }
    }
    if (!item.errors.length) targetNames.add(name);
    item.targetName = name;

    // Mounts and networks must be recreatable.
    for (const m of (c.Mounts ?? []) as { Type?: string; Source?: string; Destination: string; Driver?: string; Name?: string }[]) {
      if (m.Type === "bind") item.warnings.push(`bind mount ${m.Source} → ${m.Destination} must exist on ${targetHost.name}; its files are not copied`);
      if (m.Type === "volume" && m.Driver && m.Driver !== "local") item.errors.push(`volume ${m.Name} uses driver "${m.Driver}"; only local volumes are copied`);
      if (m.Type === "volume") item.warnings.push(`volume ${m.Name ?? m.Destination} is copied (taken after the checkpoint)`);
    }
    const mode = c.HostConfig.NetworkMode ?? "default";
    for (const net of Object.keys(c.NetworkSettings?.Networks ?? {})) {
      if (["none", "host"].includes(net)) continue;
      if (!targetNetworks.has(net)) item.errors.push(`network "${net}" does not exist on ${targetHost.name}`);
    }
    if (mode === "host") item.warnings.push("host networking: the process keeps its sockets only if the same addresses exist on the target");
    if (execs.length)
      item.warnings.push(
        `${execs.length} process(es) started by docker exec are running (${execs.slice(0, 3).join("; ")}): they are not part of the container's process tree, so they do not move and end with the source; ` +
          "their connections to the container's servers are reset (an open transaction there is rolled back), and one connected over a unix socket makes the checkpoint fail (the container then stays on its source)",
      );
    if (c.HostConfig.Privileged) item.warnings.push("privileged container: devices it holds must exist on the target");
  }

  // What each container's processes hold and the memory each uses (one run of Ferry's tool per
  // host), and whether both hosts' CRIU can move it.
  for (const id of hostIds) {
    const side = sides.get(id);
    if (!side || typeof side === "string") continue;
    const ours = items.filter((i) => i.hostId === id && infos.has(i));
    const scannable = (i: PlanItem) => infos.get(i)!.HostConfig.NetworkMode !== "host";
    const cached = recentMemory(id, ours.map((i) => i.containerId));
    const scan = await scanContainers(
      side,
      ours.map((i) => ({ id: i.containerId, pid: scannable(i) ? infos.get(i)!.State.Pid : 0, cgroupParent: infos.get(i)!.HostConfig.CgroupParent })),
      { sockets: true, memory: cached.size < ours.length },
    ).catch(async (err: unknown) => {
      for (const i of ours) i.warnings.push(`could not list its sockets: ${toDockerError(err, side.host.name).message}`);
      return { sockets: new Map<string, SocketInventory>(), memory: await sampleMemory(side.host, ours.map((i) => i.containerId), env().FERRY_DOCKER_TIMEOUT_MS) };
    });
    for (const i of ours) {
      const c = infos.get(i)!;
      i.memoryNeedBytes = memoryNeed(cached.get(i.containerId) ?? scan.memory.get(i.containerId), c.HostConfig.Memory);
      const inv = scan.sockets.get(i.containerId) ?? null;
      const mode = c.HostConfig.NetworkMode ?? "default";
      if (inv) {
        i.warnings.push(...describeInventory(inv));
        if (inv.external.length && mode.startsWith("container:"))
          i.warnings.push(`it shares the network namespace of ${mode.slice(10)}: Ferry does not close connections there; restoring them on ${targetHost.name} may fail (then the source resumes)`);
        else i.externalConnections = inv.external.length;
      }
      const needs = criuNeeds(inv);
      for (const [role, probe] of [["source", criu.get(id)], ["target", tgtCriu]] as const) {
        if (!probe || probe.ok) continue;
        const missing = probe.capabilities.filter((cap) => !cap.ok && needs.includes(cap.name));
        if (missing.length) refuseForCriu(i, role, role === "source" ? side.host.name : targetHost.name, probe, missing);
      }
    }
  }

  // The predicted fit on the target.
  const ledger = new CapacityLedger(budget, used);
  for (const i of items) {
    if (i.errors.length) continue;
    if (!ledger.tryAdmit(i.memoryNeedBytes)) i.warnings.push(`does not fit ${targetHost.name}'s memory budget: it will be skipped unless room frees up`);
  }
  return finish(target);
}
