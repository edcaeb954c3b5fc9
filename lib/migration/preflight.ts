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
import type { MigrationOptions } from "@/lib/validations/migration";
import { cachedMemory } from "@/lib/hosts/containers";
import { sampleMemory } from "@/lib/docker/inspect";
import { env } from "@/lib/env";
import { nowhereReason, pickTarget } from "@/lib/migration/placement";
import { pairResult, type PairResult } from "@/lib/migration/pair-probe";

/** Pre-flight for a whole batch, before anything stops: what will happen to each container. */

export type PlanItem = {
  hostId: string;
  hostName: string;
  containerId: string;
  name: string;
  image: string;
  imageId: string | null;
  /** Where it goes: named in the request, or chosen by the plan (evacuate); null when no host can take it. */
  targetHostId: string | null;
  targetHostName: string | null;
  targetName: string | null;
  memoryNeedBytes: number;
  /** Connections to peers outside the container: closed just before its checkpoint. */
  externalConnections: number;
  errors: string[];
  warnings: string[];
};

/** A host a plan may put containers on, and what the plan puts there. */
export type PlanTarget = {
  id: string;
  name: string;
  budgetBytes: number;
  usedBytes: number;
  memTotal: number;
  concurrency: number;
  maintenance: boolean;
  /** Why this host takes nothing (not registered, unreachable, in maintenance); null when it can. */
  unavailable: string | null;
  /** The containers the plan puts there and the memory they need. */
  plannedCount: number;
  plannedBytes: number;
};

export type Plan = {
  /** Every target the batch names or may choose, in the order they were given. */
  targets: PlanTarget[];
  /** Set when the plan empties a host (Hosts → Evacuate). */
  evacuate: { hostId: string; hostName: string } | null;
  options: MigrationOptions;
  items: PlanItem[];
  startedAt: string;
  finishedAt: string;
};

/**
 * What to plan: each item's target, or (an item without one) the hosts that may take it, the
 * one with the most free budget first.
 */
export type PlanRequest = {
  items: { hostId: string; containerId: string; targetHostId?: string }[];
  candidates?: string[];
  evacuate?: { hostId: string; hostName: string };
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

/** Pre-flight's refusal for a host whose CRIU lacks what the container needs (`target: …` or `source: …`). */
function criuRefusal(role: "source" | "target", host: string, probe: CriuProbe, missing: CriuProbe["capabilities"]): string {
  const nothing = probe.capabilities.every((c) => !c.ok);
  const why = nothing ? probe.error : summarize(host, missing) || probe.error;
  // A source resumes from its own checkpoint when a move fails: a host that cannot restore could not roll back.
  return `${role}: ${why}${nothing && role === "source" ? "; a move from it could not be rolled back (the source resumes by restoring its own checkpoint), so nothing is moved from it" : ""}`;
}


export function hostBudget(host: Pick<Host, "memoryBudgetBytes" | "memTotal">, memTotal: number): number {
  return host.memoryBudgetBytes !== null ? Number(host.memoryBudgetBytes) : defaultBudget(memTotal);
}

/** What the plan knows of one target: its host, its daemon, and what the plan has put there so far. */
type TargetState = {
  summary: PlanTarget;
  side: Side | null;
  criu: CriuProbe | null;
  names: Set<string>;
  networks: Set<string>;
  ledger: CapacityLedger;
};

async function openTarget(id: string, host: Host | undefined, options: MigrationOptions): Promise<TargetState> {
  const summary: PlanTarget = {
    id,
    name: host?.name ?? "?",
    budgetBytes: 0,
    usedBytes: 0,
    memTotal: 0,
    concurrency: host?.maxConcurrency ?? options.concurrency,
    maintenance: host?.maintenance ?? false,
    unavailable: null,
    plannedCount: 0,
    plannedBytes: 0,
  };
  const none = (why: string): TargetState => ({ summary: { ...summary, unavailable: why }, side: null, criu: null, names: new Set(), networks: new Set(), ledger: new CapacityLedger(0, 0) });
  if (!host) return none(`target host ${id} is not registered`);
  if (host.maintenance) return none(`${host.name} is in maintenance: it takes no new containers`);
  const side = await sideOrError(host);
  if (typeof side === "string") return none(`target ${side}`);
  const [criu, used, containers, networks] = await Promise.all([
    hostCriu(side),
    targetUsage(side),
    call(side, () => side.docker.listContainers({ all: true })),
    call(side, () => side.docker.listNetworks()),
  ]);
  const budget = hostBudget(host, side.memTotal);
  return {
    summary: { ...summary, budgetBytes: budget, usedBytes: used, memTotal: side.memTotal },
    side,
    criu,
    names: new Set(containers.flatMap((c) => c.Names.map((n) => n.replace(/^\//, "")))),
    networks: new Set(networks.map((n) => n.Name)),
    ledger: new CapacityLedger(budget, used),
  };
}

/** Each (source, target) pair's probe result by `source>target`, or why it could not run. */
type Pairs = Map<string, PairResult | string>;

/** The checks that depend on where a container goes. Reads the target's state, changes nothing. */
function onTarget(item: PlanItem, c: Docker.ContainerInspectInfo, needs: CriuCapability[], t: TargetState, options: MigrationOptions, pairs: Pairs): { errors: string[]; warnings: string[]; name: string } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const target = t.summary.name;
  if (t.summary.unavailable) return { errors: [t.summary.unavailable], warnings, name: item.name };
  if (item.hostId === t.summary.id) errors.push("the container already runs on the target host");
  const pair = pairs.get(`${item.hostId}>${t.summary.id}`);
  if (typeof pair === "string") errors.push(pair);
  else if (pair && pair.outcome !== "works") errors.push(pair.detail);
  let name = item.name;
  if (t.names.has(name)) {
    if (options.nameConflict === "fail") errors.push(`the name "${name}" is taken on ${target} (choose "rename" to add a suffix)`);
    else {
      let n = 1;
      name = `${item.name}-migrated`;
      while (t.names.has(name)) name = `${item.name}-migrated-${++n}`;
      warnings.push(`will be named "${name}" on ${target}`);
    }
  }
  for (const m of (c.Mounts ?? []) as { Type?: string; Source?: string; Destination: string }[])
    if (m.Type === "bind") warnings.push(`bind mount ${m.Source} → ${m.Destination} must exist on ${target}; its files are not copied`);
  for (const net of Object.keys(c.NetworkSettings?.Networks ?? {})) {
    if (["none", "host"].includes(net)) continue;
    if (!t.networks.has(net)) errors.push(`network "${net}" does not exist on ${target}`);
  }
  const probe = t.criu;
  if (probe && !probe.ok) {
    const missing = probe.capabilities.filter((cap) => !cap.ok && needs.includes(cap.name));
    if (missing.length) errors.push(criuRefusal("target", target, probe, missing));
  }
  return { errors, warnings, name };
}

export async function planMigration(req: PlanRequest, options: MigrationOptions): Promise<Plan> {
  const startedAt = new Date().toISOString();
  const sourceIds = [...new Set(req.items.map((i) => i.hostId))];
  const targetIds = [...new Set([...req.items.flatMap((i) => (i.targetHostId ? [i.targetHostId] : [])), ...(req.candidates ?? [])])];
  const hosts = new Map((await db.host.findMany({ where: { id: { in: [...sourceIds, ...targetIds] } } })).map((h) => [h.id, h]));
  const active = await activeContainers();

  const items: PlanItem[] = req.items.map((r) => ({
    hostId: r.hostId,
    hostName: hosts.get(r.hostId)?.name ?? "?",
    containerId: r.containerId,
    name: r.containerId,
    image: "",
    imageId: null,
    targetHostId: r.targetHostId ?? null,
    targetHostName: r.targetHostId ? (hosts.get(r.targetHostId)?.name ?? "?") : null,
    targetName: null,
    memoryNeedBytes: 0,
    externalConnections: 0,
    errors: [],
    warnings: [],
  }));

  // Targets and sources, each opened and probed once.
  const targets = new Map<string, TargetState>();
  for (const id of targetIds) targets.set(id, await openTarget(id, hosts.get(id), options));
  const sides = new Map<string, Side | string>();
  const criu = new Map<string, CriuProbe>();
  for (const id of sourceIds) {
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
  // source's checks in the batch's order.
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
    if (!c) {
      item.errors.push(`no container ${item.containerId} on ${side.host.name}`);
      continue;
    }
    infos.set(item, c);
    item.containerId = c.Id;
    item.name = c.Name.replace(/^\//, "");
    item.image = c.Config.Image;
    item.imageId = c.Image;
    if (active.has(`${item.hostId}/${c.Id}`)) item.errors.push("already being migrated by another batch");
    if (!c.State.Running || c.State.Paused) item.errors.push(`only running containers can be live-migrated (this one is ${c.State.Status})`);
    for (const m of (c.Mounts ?? []) as { Type?: string; Destination: string; Driver?: string; Name?: string }[]) {
      if (m.Type === "volume" && m.Driver && m.Driver !== "local") item.errors.push(`volume ${m.Name} uses driver "${m.Driver}"; only local volumes are copied`);
      if (m.Type === "volume") item.warnings.push(`volume ${m.Name ?? m.Destination} is copied (taken after the checkpoint)`);
    }
    if ((c.HostConfig.NetworkMode ?? "default") === "host") item.warnings.push("host networking: the process keeps its sockets only if the same addresses exist on the target");
    if (execs.length)
      item.warnings.push(
        `${execs.length} process(es) started by docker exec are running (${execs.slice(0, 3).join("; ")}): they are not part of the container's process tree, so they do not move and end with the source; ` +
          "their connections to the container's servers are reset (an open transaction there is rolled back), and one connected over a unix socket makes the checkpoint fail (the container then stays on its source)",
      );
    if (c.HostConfig.Privileged) item.warnings.push("privileged container: devices it holds must exist on the target");
  }

  // What each container's processes hold and the memory each uses (one run of Ferry's tool per
  // host), and whether the source's CRIU can dump it.
  const needs = new Map<PlanItem, CriuCapability[]>();
  for (const id of sourceIds) {
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
          i.warnings.push(`it shares the network namespace of ${mode.slice(10)}: Ferry does not close connections there; restoring them on the target may fail (then the source resumes)`);
        else i.externalConnections = inv.external.length;
      }
      needs.set(i, criuNeeds(inv));
      const probe = criu.get(id);
      const missing = probe && !probe.ok ? probe.capabilities.filter((cap) => !cap.ok && needs.get(i)!.includes(cap.name)) : [];
      if (probe && missing.length) i.errors.push(criuRefusal("source", side.host.name, probe, missing));
    }
  }

  // Whether each target can restore what each source checkpoints, proven once per pair and per
  // daemon versions (lib/migration/pair-probe.ts) before anything stops.
  const pairs: Pairs = new Map();
  for (const item of items) {
    const src = sides.get(item.hostId);
    if (!infos.has(item) || !src || typeof src === "string") continue;
    for (const tid of item.targetHostId ? [item.targetHostId] : (req.candidates ?? [])) {
      const tgt = targets.get(tid)?.side;
      const key = `${item.hostId}>${tid}`;
      if (!tgt || tid === item.hostId || pairs.has(key)) continue;
      pairs.set(
        key,
        await pairResult(src, tgt).catch((err: unknown) => `the checkpoint/restore probe from ${src.host.name} to ${tgt.host.name} could not run: ${toDockerError(err).message}`),
      );
    }
  }

  // Where each container goes, in the batch's order: the checks of its target (names taken there
  // depend on the items before), and the predicted fit. An item without a target goes to the
  // candidate with the most free budget that passes them all: a host's containers spread over the
  // others in proportion to their room.
  const candidates = (req.candidates ?? []).map((id) => targets.get(id)!);
  for (const item of items) {
    const c = infos.get(item);
    if (!c) continue;
    const need = item.memoryNeedBytes;
    const place = (t: TargetState, r: ReturnType<typeof onTarget>) => {
      item.targetHostId = t.summary.id;
      item.targetHostName = t.summary.name;
      item.targetName = r.name;
      item.errors.push(...r.errors);
      item.warnings.push(...r.warnings);
    };
    const plan = (t: TargetState) => {
      t.names.add(item.targetName!);
      t.summary.plannedCount++;
      t.summary.plannedBytes += need;
    };
    if (item.targetHostId) {
      // Every reason is reported, the source's and the target's.
      const t = targets.get(item.targetHostId)!;
      place(t, onTarget(item, c, needs.get(item) ?? criuNeeds(null), t, options, pairs));
      if (item.errors.length) continue;
      if (t.ledger.tryAdmit(need)) plan(t);
      else {
        t.names.add(item.targetName!);
        item.warnings.push(`does not fit ${t.summary.name}'s memory budget: it will be skipped unless room frees up`);
      }
      continue;
    }
    // A container that cannot leave its source is not placed anywhere.
    if (item.errors.length) continue;
    const tried = candidates.filter((t) => t.summary.id !== item.hostId).map((t) => ({ t, ...onTarget(item, c, needs.get(item) ?? criuNeeds(null), t, options, pairs) }));
    const room = tried.map(({ t, errors }) => ({ name: t.summary.name, freeBytes: t.ledger.freeBytes, budgetBytes: t.ledger.budgetBytes, errors }));
    const best = tried[pickTarget(room, need)];
    if (!best) {
      item.errors.push(nowhereReason(room, need));
      continue;
    }
    place(best.t, best);
    best.t.ledger.tryAdmit(need);
    plan(best.t);
  }
  return { targets: targetIds.map((id) => targets.get(id)!.summary), evacuate: req.evacuate ?? null, options, items, startedAt, finishedAt: new Date().toISOString() };
}
