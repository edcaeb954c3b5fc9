import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import type { Host } from "@/lib/generated/prisma/client";
import { createHost } from "@/lib/hosts/service";
import { openSide, type Side } from "@/lib/migration/docker-ops";
import { MigrationEngine } from "@/lib/migration/engine";
import { pairResult } from "@/lib/migration/pair-probe";
import { getMigration, startMigration } from "@/lib/migration/service";
import type { MigrationRequest } from "@/lib/validations/migration";
import { counterValues, execIn, isRunning, LAB, labDocker, leftoverHelpers, type LabHost, removeTestContainers, SERVER_IMAGES, startContainer, untilCounted, untilPast, waitFor } from "../support/lab";

/**
 * The pair probe on the lab's Docker versions: A and B run Docker 20.10, D runs Docker 28.5.2,
 * whose restores fail (docs/COMPATIBILITY.md). A probe process with a token in memory is
 * checkpointed on the source, carried over and restored on the target.
 */

const sides = {} as Record<"a" | "b" | "d" | "e", Side>;
const hosts: Host[] = [];
const daemonOf = new Map<string, LabHost>();
const lastOnSource = new Map<string, number>();

/** Runs a batch on an engine of its own that notes each counter's last number at its checkpoint. */
async function migrate(request: MigrationRequest) {
  const eng = new MigrationEngine({
    afterPhase: async ({ item, phase }) => {
      if (phase === "checkpoint" && item.image === LAB.image) lastOnSource.set(item.name, (await counterValues(daemonOf.get(item.sourceHostId)!, item.sourceContainerId)).at(-1)!);
    },
  });
  const { id } = await startMigration(request, "it", eng);
  await eng.start(id);
  return getMigration(id);
}

async function expectContinued(which: LabHost, name: string) {
  const values = await untilCounted(which, name, 2);
  expect(values[0], `${name}: first on ${which.toUpperCase()} after last on the source (${lastOnSource.get(name)})`).toBe(lastOnSource.get(name)! + 1);
}

async function register(name: string, endpoint: string): Promise<Host> {
  await db.host.deleteMany({ where: { name } });
  const h = await createHost({ name, endpoint });
  if (h.healthStatus !== "ok") throw new Error(`lab host ${name} (${endpoint}) is not usable: ${h.healthError}. Run: npm run lab`);
  hosts.push(h);
  daemonOf.set(h.id, name.slice(-1) as LabHost);
  return h;
}

const probeContainers = async (which: "a" | "b") => (await labDocker(which).listContainers({ all: true, filters: { label: ["ferry.helper=pair-probe"] } })).length;

describe("Docker versions: the pair probe, and moves across versions", () => {
  beforeAll(async () => {
    sides.a = await openSide(await register("it-pair-a", LAB.a.endpoint));
    sides.b = await openSide(await register("it-pair-b", LAB.b.endpoint));
    sides.d = await openSide(await register("it-pair-d", LAB.d.endpoint));
    sides.e = await openSide(await register("it-pair-e", LAB.e.endpoint));
  });
  afterAll(async () => {
    await removeTestContainers();
    await db.pairProbe.deleteMany({ where: { OR: [{ sourceHostId: { in: hosts.map((h) => h.id) } }, { targetHostId: { in: hosts.map((h) => h.id) } }] } });
    await db.host.deleteMany({ where: { name: { startsWith: "it-pair-" } } });
  });

  it("A → B (Docker 20.10 both): the restored probe prints the source's token and goes on counting; the result is kept per versions", async () => {
    const r = await pairResult(sides.a, sides.b, { fresh: true });
    expect(r.outcome, r.detail).toBe("works");
    // Both hosts' CRIU moves TCP sockets (CRIU 4.2.1), so the probe held them too; and B keeps the
    // evidence each move's verify reads.
    expect(r.features).toBe("tcp-listen tcp-established unix pipe file threads");
    expect(r.detail).toMatch(
      /^restored on it-pair-b: the probe went on from tick (\d+) to (\d+) with its token, TCP listener, TCP connection, unix socket, pipe, file and thread intact, and CRIU's restore log says it finished$/,
    );
    const [, last, next] = /from tick (\d+) to (\d+)/.exec(r.detail)!;
    expect(Number(next)).toBeGreaterThan(Number(last));
    // Asked again with the same versions: the stored result, not another probe.
    const again = await pairResult(sides.a, sides.b);
    expect(again.checkedAt).toBe(r.checkedAt);
    // A stored result from other daemon versions does not count.
    await db.pairProbe.update({ where: { sourceHostId_targetHostId: { sourceHostId: sides.a.host.id, targetHostId: sides.b.host.id } }, data: { targetVersion: "19.03.0" } });
    const reprobed = await pairResult(sides.a, sides.b);
    expect(reprobed.checkedAt).not.toBe(r.checkedAt);
    expect(reprobed.targetVersion).toBe(sides.b.dockerVersion);
    // Nor does one that held other sockets than both hosts' CRIU allows now.
    await db.pairProbe.update({ where: { sourceHostId_targetHostId: { sourceHostId: sides.a.host.id, targetHostId: sides.b.host.id } }, data: { features: "unix pipe file threads" } });
    expect((await pairResult(sides.a, sides.b)).checkedAt).not.toBe(reprobed.checkedAt);
    expect(await probeContainers("a")).toBe(0);
    expect(await probeContainers("b")).toBe(0);
  });

  it("A → D (Docker 28.5.2): refused with both versions and the daemon's cause; D → B works", async () => {
    expect(sides.d.dockerVersion).toMatch(/^28\.5\.2/);
    const toD = await pairResult(sides.a, sides.d, { fresh: true });
    expect(toD.outcome).toBe("fails");
    expect(toD.detail).toMatch(/^it-pair-d runs Docker 28\.5\.2\S*, whose restore of a checkpoint from it-pair-a \(Docker 20\.10\.24\S*\) fails: .*bind-mount \/proc\/0\/ns\/net/);
    const fromD = await pairResult(sides.d, sides.b, { fresh: true });
    expect(fromD.outcome, fromD.detail).toBe("works");
    expect(await probeContainers("a")).toBe(0);
    expect(await probeContainers("b")).toBe(0);
    console.log(`[figures] pair probe: A→B ${(await pairResult(sides.a, sides.b)).durationMs} ms, A→D ${toD.durationMs} ms (fails), D→B ${fromD.durationMs} ms`);
  });

  it("a batch A → D is refused by pre-flight with the versions and the cause; nothing stops, every counter keeps running on A", async () => {
    const ids = await Promise.all(["it-pair-to-d-1", "it-pair-to-d-2"].map((n) => startContainer("a", n)));
    await Promise.all(ids.map((id) => untilCounted("a", id)));
    const m = await migrate({ targetHostId: sides.d.host.id, items: ids.map((containerId) => ({ hostId: sides.a.host.id, containerId })) });
    for (const i of m.items) {
      expect(i.status).toBe("skipped");
      expect(i.error).toMatch(/^pre-flight: it-pair-d runs Docker 28\.5\.2\S*, whose restore of a checkpoint from it-pair-a \(Docker 20\.10\.24\S*\) fails: .*bind-mount \/proc\/0\/ns\/net/);
      expect(i.phases.map((p) => p.name)).toEqual(["preflight"]);
    }
    for (const id of ids) {
      expect(await isRunning("a", id)).toBe(true);
      const before = (await counterValues("a", id)).at(-1)!;
      await untilPast("a", id, before);
    }
    expect(await labDocker("d").listContainers({ all: true, filters: { label: ["ferry.migration.item"] } })).toEqual([]);
  });

  it("a daemon that answers the restore by starting the container afresh: the verify finds no CRIU restore log, rolls back, and the source goes on from its own checkpoint", async () => {
    const ids = await Promise.all(["it-pair-afresh", "it-pair-restored"].map((n) => startContainer("a", n)));
    await Promise.all(ids.map((id) => untilCounted("a", id, 2)));
    const eng = new MigrationEngine({
      afterPhase: async ({ item, phase }) => {
        if (phase === "checkpoint") lastOnSource.set(item.name, (await counterValues("a", item.sourceContainerId)).at(-1)!);
      },
      // B stands in for a daemon with docker/for-linux#1192: it starts this one without its checkpoint.
      startsAfresh: (item) => item.name === "it-pair-afresh",
    });
    const { id } = await startMigration({ targetHostId: sides.b.host.id, items: ids.map((containerId) => ({ hostId: sides.a.host.id, containerId })) }, "it", eng);
    await eng.start(id);
    const m = await getMigration(id);
    const [afresh, restored] = m.items;

    // Never reported done: rolled back, with the cause in the host's terms.
    expect(afresh!.status).toBe("rolled-back");
    expect(afresh!.errorCode).toBe("STARTED_AFRESH");
    expect(afresh!.error).toMatch(
      /^verify: it-pair-b \(Docker 20\.10\.24\S*\) started the container afresh instead of restoring it: its task directory \/var\/lib\/ferry-lab-b\S*\/io\.containerd\.runtime\.v2\.task\/moby\/[0-9a-f]{64} has no CRIU restore log/,
    );
    expect(afresh!.phases.find((p) => p.name === "rollback")?.detail).toMatch(/^source resumed from its checkpoint/);
    // The source is the one copy: running on A, going on from the number it had at the checkpoint, never from 1.
    expect(await isRunning("a", ids[0]!)).toBe(true);
    const last = lastOnSource.get("it-pair-afresh")!;
    const values = await untilPast("a", ids[0]!, last + 1);
    expect(values.slice(values.indexOf(last), values.indexOf(last) + 3)).toEqual([last, last + 1, last + 2]);
    expect(values.every((v, i) => i === 0 || v === values[i - 1]! + 1), "the source's count never restarted").toBe(true);
    // The copy that started afresh is gone from B.
    expect(await labDocker("b").listContainers({ all: true, filters: { label: [`ferry.migration.item=${afresh!.id}`] } })).toEqual([]);

    // Its batch-mate was restored: proven by CRIU's own log, and it continued on B.
    expect(restored!.status).toBe("done");
    expect(restored!.phases.find((p) => p.name === "verify")?.detail).toBe('running, not restarted; restored by CRIU: its restore log in the task directory says "Restore finished successfully"');
    await expectContinued("b", "it-pair-restored");
    // The batch's helpers, its task readers among them, are gone with it.
    expect(await leftoverHelpers("a")).toBe(0);
    expect(await leftoverHelpers("b")).toBe(0);
  });

  it("moves that work across versions: counters and a Redis server A → E (Docker 26.1), counters E → B; D, which cannot restore, is refused as a source", async () => {
    const counters = await Promise.all(["it-pair-to-e-1", "it-pair-to-e-2"].map((n) => startContainer("a", n)));
    const redis = await startContainer("a", "it-pair-redis", { Image: SERVER_IMAGES.redis, Entrypoint: undefined });
    await Promise.all(counters.map((id) => untilCounted("a", id)));
    await waitFor("redis to answer", async () => (await execIn("a", redis, ["redis-cli", "PING"])).stdout.trim() === "PONG");
    for (let k = 1; k <= 50; k++) await execIn("a", redis, ["redis-cli", "SET", `key:${k}`, `value-${k}`]);
    const runId = /run_id:(\w+)/.exec((await execIn("a", redis, ["redis-cli", "INFO", "server"])).stdout)?.[1];
    const toE = await migrate({ targetHostId: sides.e.host.id, items: [...counters, redis].map((containerId) => ({ hostId: sides.a.host.id, containerId })) });
    expect(toE.items.map((i) => [i.name, i.status, i.error])).toEqual([
      ["it-pair-to-e-1", "done", null],
      ["it-pair-to-e-2", "done", null],
      ["it-pair-redis", "done", null],
    ]);
    for (const n of ["it-pair-to-e-1", "it-pair-to-e-2"]) await expectContinued("e", n);
    // The same Redis process (its run_id) holds the keys that were only in its memory, and answers its own client.
    expect(/run_id:(\w+)/.exec((await execIn("e", "it-pair-redis", ["redis-cli", "INFO", "server"])).stdout)?.[1]).toBe(runId);
    expect((await execIn("e", "it-pair-redis", ["redis-cli", "DBSIZE"])).stdout.trim()).toBe("50");
    expect((await execIn("e", "it-pair-redis", ["redis-cli", "GET", "key:42"])).stdout.trim()).toBe("value-42");

    // E (26.1) as the source, B (20.10) the target: counters go on.
    const onE = await Promise.all(["it-pair-from-e-1", "it-pair-from-e-2"].map((n) => startContainer("e", n)));
    await Promise.all(onE.map((id) => untilCounted("e", id)));
    const toB = await migrate({ targetHostId: sides.b.host.id, items: onE.map((containerId) => ({ hostId: sides.e.host.id, containerId })) });
    expect(toB.items.map((i) => [i.name, i.status, i.error])).toEqual([
      ["it-pair-from-e-1", "done", null],
      ["it-pair-from-e-2", "done", null],
    ]);
    for (const n of ["it-pair-from-e-1", "it-pair-from-e-2"]) await expectContinued("b", n);
    for (const id of onE) await expect(labDocker("e").getContainer(id).inspect()).rejects.toThrow();

    // D checkpoints for others (the pair probe D → B works), but cannot restore: a move from it could
    // not roll back, so pre-flight refuses it as a source, and the counter keeps running on D.
    const onD = await startContainer("d", "it-pair-from-d");
    await untilCounted("d", onD);
    const fromD = await migrate({ targetHostId: sides.b.host.id, items: [{ hostId: sides.d.host.id, containerId: onD }] });
    expect(fromD.items[0]!.status).toBe("skipped");
    expect(fromD.items[0]!.error).toMatch(
      /^pre-flight: source: checkpoint\/restore does not work on it-pair-d \(Docker 28\.5\.2\S*\) at all: .*bind-mount \/proc\/0\/ns\/net -> \S+\/<id>: no such file or directory; a move from it could not be rolled back/,
    );
    expect(await isRunning("d", onD)).toBe(true);
    console.log(`[figures] across versions: A→E downtime ${toE.items.map((i) => `${i.name} ${i.downtimeMs} ms`).join(", ")}; E→B ${toB.items.map((i) => `${i.name} ${i.downtimeMs} ms`).join(", ")}`);
  });
});
