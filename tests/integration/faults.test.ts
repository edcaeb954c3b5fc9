import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import * as ops from "@/lib/migration/docker-ops";
import { MigrationEngine } from "@/lib/migration/engine";
import { getMigration, MigrationConflictError, previewMigration, startMigration } from "@/lib/migration/service";
import { sweepHost } from "@/lib/migration/sweep";
import type { MigrationRequest } from "@/lib/validations/migration";
import { labHosts } from "../support/hosts";
import { counterValues, LAB, labDocker, leftoverHelpers, removeTestContainers, startCounter, waitFor, isRunning as running } from "../support/lab";

/**
 * Faults on the real lab: a target daemon killed in the middle of a batch, the same container
 * submitted twice at once, two batches competing for one target's budget. Afterwards every
 * container runs on exactly one host and nothing Ferry made is left behind.
 */

const run = promisify(execFile);
let hosts: Awaited<ReturnType<typeof labHosts>>;

async function counters(prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) ids.push(await startCounter("a", `${prefix}-${String(i).padStart(2, "0")}`));
  // Each has printed at least one number.
  await waitFor("the counters to count", async () => (await Promise.all(ids.map((id) => counterValues("a", id)))).every((v) => v.length > 0));
  return ids;
}

const batch = (ids: string[], concurrency = 2): MigrationRequest => ({
  targetHostId: hosts.b.id,
  items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })),
  options: { concurrency, keepSource: false, nameConflict: "fail" },
});

describe("faults", () => {
  beforeAll(async () => {
    await removeTestContainers();
    hosts = await labHosts();
  });
  afterAll(removeTestContainers);

  it("target daemon killed mid-batch: every source resumes or was never touched; the target is swept once it is back", async () => {
    const ids = await counters("it-tkill", 10);
    const pidFile = "/run/ferry-lab/dockerd-B.pid";
    expect(fs.existsSync(pidFile), "host B's dockerd was started by the lab").toBe(true);
    let killed = false;
    const eng = new MigrationEngine({
      afterPhase: async ({ phase }) => {
        // The moment the first container is checkpointed (stopped on A), host B dies.
        if (phase === "checkpoint" && !killed) {
          killed = true;
          process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL");
        }
      },
    });
    const t0 = Date.now();
    const { id } = await startMigration(batch(ids), "integration-test", eng);
    await eng.start(id);
    const m = await getMigration(id);
    const recoveredIn = Date.now() - t0;
    expect(killed).toBe(true);
    expect(m.status).toBe("failed");
    expect(m.counts.done ?? 0).toBe(0);
    // Every container runs on A: resumed from its checkpoint (counter continued) or never stopped.
    for (const item of m.items) {
      expect(["rolled-back", "failed", "skipped"]).toContain(item.status);
      expect(await running("a", item.containerId), `${item.name} runs on A (${item.status}: ${item.error})`).toBe(true);
      if (item.status === "rolled-back") {
        const v = await counterValues("a", item.containerId);
        expect(v, `${item.name} went on counting without restarting`).toEqual(v.map((_, i) => v[0]! + i));
        expect(v[0]).toBe(1);
      }
    }
    expect(m.items.some((i) => i.status === "rolled-back")).toBe(true);
    const atRisk = m.items.filter((i) => i.status === "rolled-back");
    console.log(`[figures] target killed mid-batch: ${m.items.length} containers, ${atRisk.length} rolled back, ${m.counts.failed ?? 0} failed untouched, ${m.counts.skipped ?? 0} skipped, 0 lost; batch ended ${recoveredIn} ms after it started`);

    // Host B comes back; the sweep removes what the move left there.
    await run("bash", ["scripts/lab.sh", "up", "--no-servers", "--no-self-test"]);
    const side = await ops.openSide({ id: hosts.b.id, name: hosts.b.name, endpoint: LAB.b.endpoint });
    await sweepHost(side);
    const left = await labDocker("b").listContainers({ all: true, filters: { label: [ops.ITEM_LABEL] } });
    const ours = new Set(m.items.map((i) => i.id));
    expect(left.filter((c) => ours.has(c.Labels[ops.ITEM_LABEL]!)).map((c) => c.Names[0])).toEqual([]);
    expect(await leftoverHelpers("b")).toBe(0);
    for (const item of m.items) expect(await running("b", item.name)).toBe(false);
  });

  it("target daemon frozen (SIGSTOP) longer than Ferry's limits: nothing waits on it; sources resume; swept after SIGCONT", async () => {
    const ids = await counters("it-tstop", 6);
    const pid = Number(fs.readFileSync("/run/ferry-lab/dockerd-B.pid", "utf8"));
    let frozen = false;
    // Limits of 3 s (production: FERRY_MIGRATION_TIMEOUT_MS, 30 s) so the test does not wait long.
    const eng = new MigrationEngine(
      {
        afterPhase: async ({ phase }) => {
          if (phase === "checkpoint" && !frozen) {
            frozen = true;
            process.kill(pid, "SIGSTOP");
          }
        },
      },
      { callMs: 3000, idleMs: 3000 },
    );
    try {
      const t0 = Date.now();
      const { id } = await startMigration(batch(ids), "integration-test", eng);
      await eng.start(id);
      const took = Date.now() - t0;
      const m = await getMigration(id);
      expect(frozen).toBe(true);
      for (const item of m.items) {
        expect(["rolled-back", "failed", "skipped"]).toContain(item.status);
        expect(await running("a", item.containerId), `${item.name} runs on A (${item.status}: ${item.error})`).toBe(true);
      }
      const rolled = m.items.filter((i) => i.status === "rolled-back");
      expect(rolled.length).toBeGreaterThan(0);
      for (const item of rolled) {
        const v = await counterValues("a", item.containerId);
        expect(v, `${item.name} continued`).toEqual(v.map((_, k) => k + 1));
      }
      console.log(`[figures] target frozen mid-batch: ${m.items.length} containers, ${rolled.length} rolled back, ${m.counts.failed ?? 0} failed untouched, 0 lost; batch ended ${took} ms after it started (limits 3 s)`);
    } finally {
      if (frozen) process.kill(pid, "SIGCONT");
    }
    // Back: the sweep removes what the frozen host was left holding.
    const side = await ops.openSide({ id: hosts.b.id, name: hosts.b.name, endpoint: LAB.b.endpoint });
    await waitFor("host B to answer again", async () => labDocker("b").ping().then(() => true, () => false));
    // Removals sent while it was frozen are carried out now; the sweep takes whatever is left.
    await waitFor("host B swept clean", async () => {
      await sweepHost(side);
      const targets = await labDocker("b").listContainers({ all: true, filters: { label: [ops.ITEM_LABEL] } });
      return (await leftoverHelpers("b")) === 0 && !targets.some((c) => c.Names.some((n) => n.startsWith("/it-tstop-")));
    });
    for (const id of ids) expect(await running("b", id)).toBe(false);
  });

  it("the same container submitted twice at once: one batch takes it, the other is refused (409)", async () => {
    const [id] = await counters("it-twice", 1);
    const eng = new MigrationEngine();
    const results = await Promise.allSettled([startMigration(batch([id!]), "t1", eng), startMigration(batch([id!]), "t2", eng)]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(MigrationConflictError);
    const m = await waitFor("the batch to end", async () => {
      const v = await getMigration((ok[0] as PromiseFulfilledResult<{ id: string }>).value.id);
      return ["done", "failed"].includes(v.status) ? v : null;
    }, 60_000);
    expect(m.items[0]!.status).toBe("done");
    expect(await running("b", "it-twice-01")).toBe(true);
    expect(await running("a", id!)).toBe(false);
  });

  it("two batches to one target at once share its budget: together they never take more than fits", async () => {
    const first = await counters("it-share-a", 5);
    const second = await counters("it-share-b", 5);
    const plan = await previewMigration(batch([...first, ...second]));
    const need = Math.max(...plan.items.map((i) => i.memoryNeedBytes));
    // Room for 6 of the 10.
    await db.host.update({ where: { id: hosts.b.id }, data: { memoryBudgetBytes: BigInt(plan.target.usedBytes + Math.floor(6.5 * need)) } });
    try {
      const eng = new MigrationEngine();
      const [a, b] = await Promise.all([startMigration(batch(first), "t1", eng), startMigration(batch(second), "t2", eng)]);
      await Promise.all([eng.start(a.id), eng.start(b.id)]);
      const items = [...(await getMigration(a.id)).items, ...(await getMigration(b.id)).items];
      expect(items.filter((i) => i.status === "done")).toHaveLength(6);
      expect(items.filter((i) => i.status === "skipped")).toHaveLength(4);
      for (const i of items) {
        if (i.status === "done") expect(await running("b", i.name)).toBe(true);
        else {
          expect(i.error).toMatch(/does not fit lab-b's memory budget/);
          expect(await running("a", i.containerId)).toBe(true);
        }
      }
    } finally {
      await db.host.update({ where: { id: hosts.b.id }, data: { memoryBudgetBytes: null } });
    }
  });
});
