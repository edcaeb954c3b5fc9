import "server-only";
import { randomBytes } from "node:crypto";
import { db } from "@/lib/db";
import type { Host } from "@/lib/generated/prisma/client";
import { call, copyFilesystem, inspect, openSide, removeContainer, transferCheckpoint, type Side } from "@/lib/migration/docker-ops";
import { checkpointExplained, hostCriu, restoreExplained, waitForOutput } from "@/lib/migration/criu";
import { HelperPool, MOUNT } from "@/lib/migration/helper-pool";
import { containerLogs, createTool } from "@/lib/migration/probe";
import { judgeRestore, type RestoreProof } from "@/lib/migration/restore-proof";

/**
 * Can this target restore what this source checkpoints? Proven, not assumed from versions: a
 * probe process (Ferry's tool holding a unix socket pair, a pipe, an open file, a second thread
 * and, where both hosts' CRIU can dump them, a listening TCP socket and a TCP connection) with a
 * random token in its memory is checkpointed on the source, its checkpoint and files carried to a
 * container created on the target exactly as a migration carries them, and restored there.
 *
 * Three things must hold. The restored process prints the source's token and goes on counting
 * from where it was: the target's container is created with a token of its own on its command
 * line, so a daemon that "restores" by starting the container afresh prints that one, from 1.
 * And the target keeps the evidence each move's verify reads (CRIU's restore log in the task
 * directory, lib/migration/restore-proof.ts): a target where no move could be proven is refused
 * here, before anything stops, rather than rolled back item by item.
 *
 * TCP sockets are left out when either host's own CRIU probe (lib/migration/criu.ts) says it
 * cannot dump them: that host refuses only the containers that hold them, and a pair is not
 * refused for what only some containers hold. The features tried are stored with the result.
 */

export type PairOutcome = "works" | "fails" | "starts-afresh";

export type PairResult = {
  sourceHostId: string;
  targetHostId: string;
  sourceName: string;
  targetName: string;
  sourceVersion: string;
  targetVersion: string;
  outcome: PairOutcome;
  /** What the probe's process held ("tcp-listen tcp-established unix pipe file threads"). */
  features: string;
  /** What was seen (the token and tick read back), or why it failed, naming the versions. */
  detail: string;
  durationMs: number;
  checkedAt: string;
};

const TAG = "pair-probe";
const BASE_FEATURES = ["unix", "pipe", "file", "threads"];
const TCP_FEATURES = ["tcp-listen", "tcp-established"];

/** The probe's features, and why TCP is left out when it is. */
type Held = { features: string[]; withoutTcp: string | null };

/** What the probe holds on this pair: TCP only where both hosts' CRIU can dump it (their probes, kept on their rows for the hosts page). */
async function featuresFor(src: Side, tgt: Side): Promise<Held> {
  const probes = await Promise.all([src, tgt].map(async (side) => ({ side, probe: await hostCriu(side).catch(() => null) })));
  const cannot = probes.filter(({ probe }) => !probe || !TCP_FEATURES.every((f) => probe.capabilities.some((c) => c.name === f && c.ok)));
  if (!cannot.length) return { features: [...TCP_FEATURES, ...BASE_FEATURES], withoutTcp: null };
  const names = cannot.map((c) => c.side.host.name);
  return { features: BASE_FEATURES, withoutTcp: `TCP sockets not tried: by ${names.length > 1 ? "their own CRIU probes" : "its own CRIU probe"}, ${names.join(" and ")} cannot move them` };
}

const HELD: Record<string, string> = { "tcp-listen": "TCP listener", "tcp-established": "TCP connection", unix: "unix socket", pipe: "pipe", file: "file", threads: "thread" };
const heldList = (features: string[]) => {
  const names = features.map((f) => HELD[f] ?? f);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names.join("");
};
const tickLines = (stdout: string) => [...stdout.matchAll(/^tick (\d+) (\S+)$/gm)].map((m) => ({ n: Number(m[1]), token: m[2]! }));
const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** "host-d runs Docker 28.5.2, whose restore of a checkpoint from host-a (Docker 20.10.24) fails: …" */
function refusal(src: Side, tgt: Side, step: "checkpoint" | "restore" | "carry" | "set up", cause: string): string {
  const versions = `${tgt.host.name} runs Docker ${tgt.dockerVersion}`;
  const from = `${src.host.name} (Docker ${src.dockerVersion})`;
  if (step === "checkpoint") return `${src.host.name} runs Docker ${src.dockerVersion}, whose checkpoint of the probe fails: ${cause}`;
  if (step === "restore") return `${versions}, whose restore of a checkpoint from ${from} fails: ${cause}`;
  return `the probe could not ${step === "carry" ? "carry its checkpoint" : "be set up"} from ${from} to ${tgt.host.name}: ${cause}`;
}

/** Runs the probe on two opened hosts. Leaves nothing behind. */
export async function probePair(src: Side, tgt: Side, held?: Held): Promise<Omit<PairResult, "checkedAt">> {
  // The hosts' own CRIU probes come first (cached, and pre-flight runs them anyway); the duration is the pair's.
  const { features, withoutTcp } = held ?? (await featuresFor(src, tgt));
  const t0 = Date.now();
  const token = randomBytes(9).toString("base64url");
  const cp = `ferry-pair-${token.slice(0, 8)}`;
  const base = { sourceHostId: src.host.id, targetHostId: tgt.host.id, sourceName: src.host.name, targetName: tgt.host.name, sourceVersion: src.dockerVersion, targetVersion: tgt.dockerVersion, features: features.join(" ") };
  const done = (outcome: PairOutcome, detail: string) => ({ ...base, outcome, detail, durationMs: Date.now() - t0 });
  const made: { side: Side; id: string }[] = [];
  const pools = [new HelperPool(src, `${TAG}/${token}`, 1), new HelperPool(tgt, `${TAG}/${token}`, 1)] as const;
  let inventory: Buffer | undefined;
  try {
    let last: number;
    let srcId: string;
    try {
      const c = await createTool(src, ["hold", ...features, `token=${token}`], TAG);
      srcId = c.id;
      made.push({ side: src, id: c.id });
      await call(src, () => c.start());
      const out = await waitForOutput(src, c.id, (o) => tickLines(o).length > 0, "start ticking");
      last = Math.max(...tickLines(out).map((t) => t.n));
    } catch (err) {
      return done("fails", refusal(src, tgt, "set up", msg(err)));
    }
    try {
      await checkpointExplained(src, srcId, cp);
    } catch (err) {
      return done("fails", refusal(src, tgt, "checkpoint", msg(err).replace(`${src.host.name}: `, "")));
    }
    // The last tick before the dump (the process may print one more while it is being frozen).
    last = Math.max(last, ...tickLines((await containerLogs(src, srcId)).stdout).map((t) => t.n));
    let tgtId: string;
    try {
      const t = await createTool(tgt, ["hold", ...features, `token=fresh-${token}`], TAG);
      tgtId = t.id;
      made.push({ side: tgt, id: t.id });
      await Promise.all([
        pools[0].with((srcHelper) => pools[1].with((tgtHelper) => transferCheckpoint({ side: src, helper: srcHelper, containerId: srcId }, { side: tgt, helper: tgtHelper, containerId: tgtId }, MOUNT, cp, undefined, (b) => (inventory = b)))),
        copyFilesystem(src, await inspect(src, srcId), tgt, tgtId),
      ]);
    } catch (err) {
      return done("fails", refusal(src, tgt, "carry", msg(err)));
    }
    try {
      await restoreExplained(tgt, tgtId, cp, 3);
    } catch (err) {
      return done("fails", refusal(src, tgt, "restore", msg(err).replace(`${tgt.host.name}: `, "")));
    }
    let seen: { n: number; token: string }[] = [];
    try {
      await waitForOutput(tgt, tgtId, (o) => (seen = tickLines(o)).length > 0, "tick after the restore", 10_000);
    } catch (err) {
      return done("fails", refusal(src, tgt, "restore", `the restored probe did not run: ${msg(err)}`));
    }
    const first = seen[0]!;
    if (first.token !== token || first.n <= 1)
      return done(
        "starts-afresh",
        `${tgt.host.name} runs Docker ${tgt.dockerVersion}, which started the probe afresh instead of restoring it from ${src.host.name} (Docker ${src.dockerVersion}): it printed tick ${first.n} with ${first.token === token ? "the source's token" : "its own command line's token"}, not tick ${last + 1} with the source's; memory would be lost`,
      );
    // The process was restored; every move there must be provable the same way.
    let proof: RestoreProof;
    try {
      proof = judgeRestore(await pools[1].tasks.evidence(tgtId), tgt.host.name, tgt.dockerVersion);
    } catch (err) {
      proof = { proven: false, code: "RESTORE_UNPROVEN", message: `its task directory could not be read: ${msg(err)}` };
    }
    if (!proof.proven) return done("fails", `${tgt.host.name} (Docker ${tgt.dockerVersion}) restored the probe, but no move there could be proven: ${proof.message}`);
    const seenOk = `restored on ${tgt.host.name}: the probe went on from tick ${last} to ${first.n} with its token, ${heldList(features)} intact, and CRIU's restore log says it finished`;
    return done("works", withoutTcp ? `${seenOk} (${withoutTcp})` : seenOk);
  } finally {
    // The copy containerd 1.6 keeps of what it restored (lib/migration/restore-copies.ts): looked for as the pool closes.
    if (inventory) pools[1].copies.add(inventory);
    await Promise.allSettled([...made.map((m) => removeContainer(m.side, m.id)), ...pools.map((p) => p.close())]);
  }
}

const toResult = (r: { sourceHostId: string; targetHostId: string; sourceVersion: string; targetVersion: string; features: string; outcome: string; detail: string; durationMs: number; checkedAt: Date }, names: Map<string, string>): PairResult => ({
  ...r,
  sourceName: names.get(r.sourceHostId) ?? "?",
  targetName: names.get(r.targetHostId) ?? "?",
  outcome: r.outcome as PairOutcome,
  checkedAt: r.checkedAt.toISOString(),
});

/**
 * A pair's result: the stored one while both daemons still run the versions it was proven on and
 * their CRIU still lets it hold the same sockets (`fresh` probes again), else a new probe, stored.
 */
export function pairResult(src: Side, tgt: Side, opts: { fresh?: boolean } = {}): Promise<PairResult> {
  // Two pre-flights of the same pair at once share one probe.
  const key = `${src.host.id}>${tgt.host.id}|${opts.fresh ? "fresh" : ""}`;
  let p = inFlight.get(key);
  if (!p) {
    p = lookUpOrProbe(src, tgt, opts).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

const inFlight = new Map<string, Promise<PairResult>>();

async function lookUpOrProbe(src: Side, tgt: Side, opts: { fresh?: boolean }): Promise<PairResult> {
  const names = new Map([
    [src.host.id, src.host.name],
    [tgt.host.id, tgt.host.name],
  ]);
  const stored = await db.pairProbe.findUnique({ where: { sourceHostId_targetHostId: { sourceHostId: src.host.id, targetHostId: tgt.host.id } } });
  const held = await featuresFor(src, tgt);
  if (!opts.fresh && stored && stored.sourceVersion === src.dockerVersion && stored.targetVersion === tgt.dockerVersion && stored.features === held.features.join(" ")) return toResult(stored, names);
  const r = await probePair(src, tgt, held);
  const data = { sourceVersion: r.sourceVersion, targetVersion: r.targetVersion, features: r.features, outcome: r.outcome, detail: r.detail, durationMs: r.durationMs, checkedAt: new Date() };
  const row = await db.pairProbe.upsert({
    where: { sourceHostId_targetHostId: { sourceHostId: src.host.id, targetHostId: tgt.host.id } },
    create: { sourceHostId: src.host.id, targetHostId: tgt.host.id, ...data },
    update: data,
  });
  return toResult(row, names);
}

/** Every stored pair result, for the hosts page's matrix. */
export async function storedPairs(hosts: Pick<Host, "id" | "name">[]): Promise<PairResult[]> {
  const names = new Map(hosts.map((h) => [h.id, h.name]));
  const rows = await db.pairProbe.findMany({ where: { sourceHostId: { in: [...names.keys()] }, targetHostId: { in: [...names.keys()] } } });
  return rows.map((r) => toResult(r, names));
}

/** Probes every ordered pair of these hosts now (the hosts page's "Check pairs"), one at a time. */
export async function probeAllPairs(hosts: Host[]): Promise<PairResult[]> {
  const sides = new Map<string, Side | null>();
  for (const h of hosts) sides.set(h.id, await openSide(h).catch(() => null));
  const out: PairResult[] = [];
  for (const s of hosts)
    for (const t of hosts) {
      const src = sides.get(s.id);
      const tgt = sides.get(t.id);
      if (s.id === t.id || !src || !tgt) continue;
      out.push(await pairResult(src, tgt, { fresh: true }));
    }
  return out;
}
