import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import type { Host } from "@/lib/generated/prisma/client";
import { createHost, getHost, updateHost } from "@/lib/hosts/service";
import { MigrationEngine } from "@/lib/migration/engine";
import { evacuateHost } from "@/lib/migration/evacuate";
import { listBatches } from "@/lib/migration/history";
import { getMigration, previewMigration, startMigration } from "@/lib/migration/service";
import { migrationCsv, parseCsv } from "@/lib/migration/stats";
import { counterValues, isRunning, labDocker, LAB, type LabHost, removeTestContainers, startContainer, untilCounted, untilPast } from "../support/lab";

/**
 * Evacuating a host: 60 counters on one lab host, the two others with budgets that fit 25 and 30.
 * The evacuated host is lab host C (it starts empty; the demo's containers live on the default
 * daemon, and an evacuation takes every running container of its host).
 */

const MiB = 1024 * 1024;
const COUNT = 60;
/** A memory limit makes every counter's need the same: a tenth of the limit (they use far less) plus the shim. */
const LIMIT = 64 * MiB;

let src: Host; // lab C, evacuated
let toA: Host; // lab A, room for 25
let toB: Host; // lab B, room for 30
const daemon = new Map<string, LabHost>();
const lastOnSource = new Map<string, number>();

async function register(name: string, which: LabHost): Promise<Host> {
  await db.host.deleteMany({ where: { name } });
  const h = await createHost({ name, endpoint: LAB[which].endpoint });
  if (h.healthStatus !== "ok") throw new Error(`lab host ${which.toUpperCase()} is not usable: ${h.healthError}. Run: npm run lab`);
  daemon.set(h.id, which);
  return h;
}

describe("evacuate a host", () => {
  beforeAll(async () => {
    await removeTestContainers();
    src = await register("it-evac-c", "c");
    toA = await register("it-evac-a", "a");
    toB = await register("it-evac-b", "b");
    const others = (await labDocker("c").listContainers()).filter((c) => c.Labels?.["ferry.test"] !== "1");
    if (others.length) throw new Error(`lab host C runs containers that are not a test's (${others.map((c) => c.Names[0]).join(", ")}): an evacuation would move them too; remove them (npm run lab:down removes the lab's) and run again`);
  });
  afterAll(async () => {
    await removeTestContainers();
    await db.host.deleteMany({ where: { name: { startsWith: "it-evac-" } } });
  });

  it("moves 55 of 60 counters to the two hosts as planned (25 and 30); 5 stay running with the reason", { timeout: 600_000 }, async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `it-evac-${String(i + 1).padStart(2, "0")}`);
    const ids = new Map<string, string>();
    for (const n of names) ids.set(n, await startContainer("c", n, { HostConfig: { Memory: LIMIT } }));
    await Promise.all(names.map((n) => untilCounted("c", n)));

    // The dry run: what each counter needs and what the targets use now; nothing changes.
    const dry = await evacuateHost(src.id, { dryRun: true, targetHostIds: [toA.id, toB.id] }, "it");
    expect(dry.migration).toBeNull();
    expect((await getHost(src.id)).maintenance).toBe(false);
    expect(dry.plan.items.map((i) => i.name)).toEqual(names);
    const needs = new Set(dry.plan.items.map((i) => i.memoryNeedBytes));
    expect(needs.size, "every counter needs the same").toBe(1);
    const need = [...needs][0]!;
    const used = new Map(dry.plan.targets.map((t) => [t.id, t.usedBytes]));
    await db.host.update({ where: { id: toA.id }, data: { memoryBudgetBytes: BigInt(used.get(toA.id)! + Math.floor(25.5 * need)) } });
    await db.host.update({ where: { id: toB.id }, data: { memoryBudgetBytes: BigInt(used.get(toB.id)! + Math.floor(30.5 * need)) } });

    const eng = new MigrationEngine({
      afterPhase: async ({ item, phase }) => {
        if (phase === "checkpoint") lastOnSource.set(item.name, (await counterValues("c", item.sourceContainerId)).at(-1)!);
      },
    });
    const { plan, migration } = await evacuateHost(src.id, { targetHostIds: [toA.id, toB.id] }, "it", eng);
    expect(migration).not.toBeNull();
    // The plan, before anything stopped: the host is in maintenance, 25 + 30 placed, 5 nowhere and why.
    expect((await getHost(src.id)).maintenance).toBe(true);
    expect(plan.targets.map((t) => [t.name, t.plannedCount])).toEqual([
      ["it-evac-a", 25],
      ["it-evac-b", 30],
    ]);
    const planned = new Map(plan.items.map((i) => [i.name, i.targetHostName]));
    const stays = plan.items.filter((i) => i.errors.length);
    expect(stays).toHaveLength(5);
    for (const i of stays) {
      expect(i.targetHostId).toBeNull();
      expect(i.errors.join("; ")).toMatch(/^no host can take it: it-evac-a: does not fit its memory budget \(needs .+\); it-evac-b: does not fit its memory budget/);
    }

    await eng.start(migration!.id);
    const m = await getMigration(migration!.id);
    expect(m.evacuatedHost).toEqual({ id: src.id, name: "it-evac-c" });
    expect(m.targetHostId).toBeNull();
    // Each counter went where the plan said, and the batch's figures are per target.
    const moved = m.items.filter((i) => i.status === "done");
    expect(moved).toHaveLength(55);
    for (const i of moved) expect(i.targetHostName, i.name).toBe(planned.get(i.name));
    expect(m.targets.map((t) => [t.name, t.total, t.counts.done])).toEqual([
      ["it-evac-a", 25, 25],
      ["it-evac-b", 30, 30],
    ]);
    for (const t of m.targets) expect(t.downtimeP50Ms).toBeGreaterThan(0);

    // Every moved counter continued on its target: its first number there is the next after its last on C.
    for (const i of moved) {
      const which = daemon.get(i.targetHostId!)!;
      const values = await untilCounted(which, i.name, 2);
      expect(values[0], `${i.name} on ${which.toUpperCase()}`).toBe(lastOnSource.get(i.name)! + 1);
      await expect(labDocker("c").getContainer(ids.get(i.name)!).inspect(), `${i.name} is gone from C`).rejects.toThrow();
    }
    // The five that no host could take are still running on C, still counting, each with its reason.
    const skipped = m.items.filter((i) => i.status !== "done");
    expect(skipped.map((i) => i.name)).toEqual(stays.map((i) => i.name));
    for (const i of skipped) {
      expect(i.status).toBe("skipped");
      expect(i.error).toMatch(/no host can take it: it-evac-a: does not fit its memory budget/);
      expect(await isRunning("c", ids.get(i.name)!)).toBe(true);
      const before = (await counterValues("c", ids.get(i.name)!)).at(-1)!;
      await untilPast("c", ids.get(i.name)!, before);
    }

    // History and exports say where each container went.
    const { batches } = await listBatches({ host: toB.id }, { limit: 5 });
    const row = batches.find((b) => b.id === m.id)!;
    expect(row).toMatchObject({ evacuatedHostName: "it-evac-c", targets: ["it-evac-a", "it-evac-b"], targetHostName: "it-evac-a, it-evac-b" });
    const csv = parseCsv(migrationCsv(m));
    const col = csv[0]!.indexOf("targetHost");
    expect(csv.slice(1).filter((r) => r[col] === "it-evac-a")).toHaveLength(25);
    expect(csv.slice(1).filter((r) => r[col] === "it-evac-b")).toHaveLength(30);
    console.log(`[figures] evacuate 60 counters: ${m.targets.map((t) => `${t.name} ${t.counts.done} done, downtime p50 ${t.downtimeP50Ms} ms p95 ${t.downtimeP95Ms} ms`).join("; ")}; batch ${Date.parse(m.finishedAt!) - Date.parse(m.startedAt!)} ms`);
  });

  it("a batch through the migrations API with a target per item, one host both a source and a target: each counter lands where its item says and goes on", async () => {
    const names = ["it-evac-pair-1", "it-evac-pair-2", "it-evac-pair-3"];
    const from: LabHost[] = ["c", "c", "b"];
    const ids = await Promise.all(names.map((n, k) => startContainer(from[k]!, n)));
    await Promise.all(ids.map((id, k) => untilCounted(from[k]!, id)));
    const eng = new MigrationEngine({
      afterPhase: async ({ item, phase }) => {
        if (phase === "checkpoint") lastOnSource.set(item.name, (await counterValues(daemon.get(item.sourceHostId)!, item.sourceContainerId)).at(-1)!);
      },
    });
    await updateHost(src.id, { maintenance: false });
    // C → A, C → B and B → C at once: B's and C's checkpoint helpers serve both directions.
    const items = [
      { hostId: src.id, containerId: ids[0]!, targetHostId: toA.id },
      { hostId: src.id, containerId: ids[1]!, targetHostId: toB.id },
      { hostId: toB.id, containerId: ids[2]!, targetHostId: src.id },
    ];
    const { id } = await startMigration({ items, options: { concurrency: 3 } }, "it", eng);
    await eng.start(id);
    const m = await getMigration(id);
    expect(m.items.map((i) => [i.name, i.status, i.error, i.targetHostName])).toEqual([
      ["it-evac-pair-1", "done", null, "it-evac-a"],
      ["it-evac-pair-2", "done", null, "it-evac-b"],
      ["it-evac-pair-3", "done", null, "it-evac-c"],
    ]);
    expect(m).toMatchObject({ targetHostId: null, targetHostName: "it-evac-a, it-evac-b, it-evac-c", evacuatedHost: null });
    for (const [n, which] of [[names[0]!, "a"], [names[1]!, "b"], [names[2]!, "c"]] as const) {
      const values = await untilCounted(which, n, 2);
      expect(values[0], `${n} on ${which.toUpperCase()}`).toBe(lastOnSource.get(n)! + 1);
    }
  });

  it("a host in maintenance takes no new containers until it ends", async () => {
    const id = await startContainer("b", "it-evac-maint");
    await untilCounted("b", id);
    await updateHost(src.id, { maintenance: true });
    const refused = await previewMigration({ targetHostId: src.id, items: [{ hostId: toB.id, containerId: id }] });
    expect(refused.items[0]!.errors).toEqual(["it-evac-c is in maintenance: it takes no new containers"]);
    expect(refused.targets[0]).toMatchObject({ maintenance: true, unavailable: "it-evac-c is in maintenance: it takes no new containers" });
    const ended = await updateHost(src.id, { maintenance: false });
    expect(ended.maintenance).toBe(false);
    expect(ended.maintenanceSince).toBeNull();
    const allowed = await previewMigration({ targetHostId: src.id, items: [{ hostId: toB.id, containerId: id }] });
    expect(allowed.items[0]!.errors).toEqual([]);
    expect(await isRunning("b", id)).toBe(true);
  });
});
