import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import * as ops from "@/lib/migration/docker-ops";
import { MigrationEngine, type EngineHooks } from "@/lib/migration/engine";
import { getMigration, MigrationConflictError, previewMigration, startMigration } from "@/lib/migration/service";
import { itemStatus, TERMINAL, type PhaseName } from "@/lib/migration/state";
import { sweepHost } from "@/lib/migration/sweep";
import type { MigrationView } from "@/lib/migration/view";
import type { MigrationRequest } from "@/lib/validations/migration";
import { account, FAULT_BATCH, record, strays } from "../support/faults";
import { labHosts } from "../support/hosts";
import { counterValues, LAB, labDocker, leftoverHelpers, removeTestContainers, startContainer, waitFor } from "../support/lab";

/**
 * The fault suite, on the real lab: each fault hits a batch of at least ten counters moving A→B.
 * Afterwards every container runs on exactly one host with its counter continued, its final
 * status says which host (done: B; anything else: A), and nothing Ferry made is left behind once
 * the hosts answer. `npm run faults` runs this file and prints the table of `record`.
 */

const run = promisify(execFile);
let hosts: Awaited<ReturnType<typeof labHosts>>;

async function counters(prefix: string, n = FAULT_BATCH, image?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) ids.push(await startContainer("a", `${prefix}-${String(i).padStart(2, "0")}`, image ? { Image: image } : {}));
  // Each has printed at least one number.
  await waitFor("the counters to count", async () => (await Promise.all(ids.map((id) => counterValues("a", id)))).every((v) => v.length > 0));
  return ids;
}

const batch = (ids: string[], concurrency = 2): MigrationRequest => ({
  targetHostId: hosts.b.id,
  items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })),
  options: { concurrency, keepSource: false, nameConflict: "fail" },
});

const daemonPid = (host: "A" | "B") => Number(fs.readFileSync(`/run/ferry-lab/dockerd-${host}.pid`, "utf8"));
const restartLab = () => run("bash", ["scripts/lab.sh", "up", "--no-servers", "--no-self-test"]);

/** Every container accounted for (none lost), the row kept for the table. */
async function settle(fault: string, m: MigrationView, recoverMs: number) {
  const row = await account(fault, m, recoverMs);
  record(row);
  expect(row.problems).toEqual([]);
  expect(row.lost).toBe(0);
  return row;
}

/** Both hosts swept until nothing of this batch is left but its running copies (no helper anywhere). */
async function sweptClean(m: MigrationView) {
  const sides = await Promise.all((["a", "b"] as const).map((w) => ops.openSide({ id: hosts[w].id, name: hosts[w].name, endpoint: LAB[w].endpoint })));
  await waitFor("both hosts swept clean", async () => {
    for (const side of sides) await sweepHost(side);
    return (await leftoverHelpers("a")) === 0 && (await leftoverHelpers("b")) === 0 && (await strays(m)).length === 0;
  });
}

/** Runs a batch with hooks; returns it when it has ended. */
async function migrate(ids: string[], hooks: EngineHooks, limits?: ops.Limits, concurrency = 2): Promise<MigrationView> {
  const eng = new MigrationEngine(hooks, limits);
  const { id } = await startMigration(batch(ids, concurrency), "fault-suite", eng);
  await eng.start(id);
  return getMigration(id);
}

const odd = (seq: number) => seq % 2 === 1;

/** Unmounts a fault's filesystem (dockerd may have done it already, removing a container under it). */
async function unmount(dir: string) {
  const mounted = () => fs.readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === dir);
  if (mounted()) await run("umount", [dir]);
  expect(mounted(), `${dir} unmounted`).toBe(false);
}

describe("faults", () => {
  beforeAll(async () => {
    await removeTestContainers();
    hosts = await labHosts();
  });
  afterAll(async () => {
    await restartLab(); // whatever a fault left down is up again for the next file
    await removeTestContainers();
  });

  it("target daemon killed (SIGKILL) mid-batch: every stopped source resumes; the target is swept once it is back", async () => {
    const ids = await counters("ft-tkill");
    let killedAt = 0;
    const m = await migrate(ids, {
      // The moment the first container is checkpointed (stopped on A), host B dies.
      afterPhase: async ({ phase }) => {
        if (phase === "checkpoint" && !killedAt) {
          killedAt = Date.now();
          process.kill(daemonPid("B"), "SIGKILL");
        }
      },
    });
    const recoverMs = Date.now() - killedAt;
    expect(killedAt).toBeGreaterThan(0);
    expect(m.items.filter((i) => i.status === "rolled-back").length).toBeGreaterThan(0);
    await settle("target daemon SIGKILLed mid-batch, restarted", m, recoverMs);
    await restartLab();
    await sweptClean(m);
  });

  it("source daemon killed (SIGKILL) mid-batch, then restarted: the rollbacks wait for it and resume every stopped source", async () => {
    const ids = await counters("ft-skill");
    let killedAt = 0;
    let restarted: Promise<unknown> = Promise.resolve();
    try {
      const m = await migrate(ids, {
        afterPhase: async ({ item, phase }) => {
          if (phase !== "checkpoint" || killedAt) return;
          killedAt = Date.now();
          process.kill(daemonPid("A"), "SIGKILL");
          // Host A comes back once a move stopped there is waiting for it (live-restore keeps the
          // running containers running meanwhile).
          restarted = waitFor(
            "a rollback waiting for host A",
            async () => (await db.migrationItem.count({ where: { migrationId: item.migrationId, status: "rolling-back" } })) > 0,
            60_000,
          ).then(restartLab);
        },
        // One at a time: the kill lands right after a checkpoint, never inside another one (a
        // dockerd killed in the middle of a checkpoint may leave its only copy in containerd, out
        // of the Engine API's reach; docs/RELIABILITY.md).
      }, undefined, 1);
      const recoverMs = Date.now() - killedAt;
      await restarted;
      expect(killedAt).toBeGreaterThan(0);
      const waited = m.items.filter((i) => i.phases.some((p) => p.name === "rollback" && /answered again/.test(p.detail ?? "")));
      expect(waited.length, "a rollback waited for host A and resumed the source").toBeGreaterThan(0);
      // Docker 20.10 cannot checkpoint what it live-restored: said plainly, and nothing stopped.
      for (const i of m.items.filter((x) => /invalid task checkpoint option/.test(x.error ?? ""))) {
        expect(i.error).toMatch(/already running when its daemon last restarted/);
        expect(i.phases.find((p) => p.name === "rollback")?.detail).toMatch(/never stopped/);
      }
      await settle("source daemon SIGKILLed mid-batch, restarted", m, recoverMs);
      await sweptClean(m);
    } finally {
      await restarted.catch(() => undefined);
    }
  });

  it("target daemon frozen (SIGSTOP) longer than Ferry's limits: nothing waits on it; sources resume; swept after SIGCONT", async () => {
    const ids = await counters("ft-tstop");
    const pid = daemonPid("B");
    let frozenAt = 0;
    try {
      // Limits of 3 s (production: FERRY_MIGRATION_TIMEOUT_MS, 30 s) so the test does not wait long.
      const m = await migrate(
        ids,
        {
          afterPhase: async ({ phase }) => {
            if (phase === "checkpoint" && !frozenAt) {
              frozenAt = Date.now();
              process.kill(pid, "SIGSTOP");
              // Never left frozen, even if this test is stopped half-way (the lab is shared).
              setTimeout(() => process.kill(pid, "SIGCONT"), 60_000).unref();
            }
          },
        },
        { callMs: 3000, idleMs: 3000 },
      );
      const recoverMs = Date.now() - frozenAt;
      expect(frozenAt).toBeGreaterThan(0);
      expect(m.items.filter((i) => i.status === "rolled-back").length).toBeGreaterThan(0);
      process.kill(pid, "SIGCONT");
      frozenAt = 0;
      await waitFor("host B to answer again", async () => labDocker("b").ping().then(() => true, () => false));
      await settle("target daemon SIGSTOPped past the limits (3 s), then SIGCONT", m, recoverMs);
      // Removals sent while it was frozen are carried out now; the sweep takes whatever is left.
      await sweptClean(m);
    } finally {
      if (frozenAt) process.kill(pid, "SIGCONT");
    }
  });

  // The dashboard dies at a phase's start (status and phase row written, step not run) or end
  // (step done, next status not written): the moments where the disk and the hosts disagree most.
  const KILLS: [PhaseName, "start" | "end"][] = [
    ["image-sync", "start"],
    ["create", "end"],
    ["checkpoint", "end"],
    ["transfer", "end"],
    ["restore", "end"],
    ["verify", "end"],
    ["cleanup", "start"],
    ["rollback", "start"],
  ];
  it.each(KILLS)("dashboard killed (SIGKILL) at the %s phase (%s), restarted: recovery resolves every item from the hosts", async (phase, when) => {
    const ids = await counters(`ft-d-${phase.slice(0, 5)}`);
    // Recorded here, run by a child process that kills itself at that moment.
    const { id } = await startMigration(batch(ids), "fault-suite", { start: async () => undefined });
    const args = ["--import", "tsx", "--import", "./scripts/server-only-hook.mjs", "tests/support/run-batch-child.ts", id, phase, when];
    if (phase === "rollback") args.push("fail-restore");
    const child = spawn(process.execPath, args, { env: { ...process.env }, stdio: ["ignore", "inherit", "inherit"] });
    const signal = await new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, sig) => r(sig)));
    const killedAt = Date.now();
    expect(signal, `the dashboard died at the ${when} of ${phase}`).toBe("SIGKILL");
    const atKill = await db.migrationItem.findMany({ where: { migrationId: id }, select: { status: true } });
    const inFlight = atKill.map((i) => i.status).filter((s) => s !== "pending" && !TERMINAL.has(itemStatus(s)));

    const eng = new MigrationEngine();
    expect((await eng.recover()).batches).toBe(1);
    await eng.start(id);
    const m = await getMigration(id);
    const row = await settle(`dashboard SIGKILLed at the ${when} of ${phase} (in flight: ${inFlight.join(", ")})`, m, Date.now() - killedAt);
    expect(row.done + row.rolledBack).toBeGreaterThan(0);
    expect(["done", "failed"]).toContain(m.status);
    await sweptClean(m);
  });

  it("restore failure injected into every other item: those roll back and go on counting on A; the rest move", async () => {
    const ids = await counters("ft-rfail");
    const t0 = Date.now();
    const m = await migrate(ids, {
      beforeRestore: async ({ item, target, targetContainerId, checkpointId }) => {
        if (odd(item.seq)) await ops.deleteCheckpoint(target, targetContainerId, checkpointId);
      },
    });
    const row = await settle("restore failure injected (every other item)", m, Date.now() - t0);
    expect(row.rolledBack).toBe(Math.floor(FAULT_BATCH / 2));
    expect(row.done).toBe(FAULT_BATCH - row.rolledBack);
    for (const i of m.items.filter((x) => x.status === "rolled-back")) expect(i.error).toMatch(/^restore: /);
    await sweptClean(m);
  });

  it("checkpoint failure injected into every other item (the daemon refuses it): the source never stops; the rest move", async () => {
    const ids = await counters("ft-cfail");
    const t0 = Date.now();
    const m = await migrate(ids, {
      // A checkpoint of that name already there: dockerd refuses to write over it.
      beforePhase: async ({ item, phase, source, checkpointId }) => {
        if (phase === "checkpoint" && odd(item.seq)) fs.mkdirSync(path.join(ops.checkpointsDir(source, item.sourceContainerId), checkpointId), { recursive: true });
      },
    });
    const row = await settle("checkpoint failure injected (every other item)", m, Date.now() - t0);
    const failed = m.items.filter((i) => odd(i.seq));
    for (const i of failed) {
      expect(i.status).toBe("rolled-back");
      expect(i.error).toMatch(/checkpoint.*already exists/);
      expect(i.phases.find((p) => p.name === "rollback")?.detail).toMatch(/never stopped/);
    }
    expect(row.done).toBe(FAULT_BATCH - failed.length);
  });

  it("image load failure on the target (its temporary space full): nothing stops, every container keeps running on A", async () => {
    // An image B has never seen.
    const base = await labDocker("a").createContainer({ Image: LAB.image, Entrypoint: ["/bin/sh", "-c", "echo layer > /data/layer.txt"], Labels: { "ferry.test": "1" }, HostConfig: { NetworkMode: "none" } });
    await base.start();
    await base.wait();
    const tag = `ft-img-${Date.now()}`;
    await base.commit({ repo: "ferry/counter", tag, changes: 'ENTRYPOINT ["/bin/sh","-c","i=1; while true; do echo $i; i=$((i+1)); sleep 1; done"]' } as object);
    const image = `ferry/counter:${tag}`;
    const ids = await counters("ft-imgfail", FAULT_BATCH, image);
    // dockerd unpacks a loaded image under <data-root>/tmp first: 64 KiB there cannot hold it.
    const tmp = path.join((await labDocker("b").info()).DockerRootDir as string, "tmp");
    await run("mount", ["-t", "tmpfs", "-o", "size=64k", "ferry-fault-tmp", tmp]);
    let m: MigrationView;
    const t0 = Date.now();
    try {
      m = await migrate(ids, {});
    } finally {
      await unmount(tmp);
    }
    const row = await settle("image load failure on the target", m, Date.now() - t0);
    expect(row.untouched).toBe(FAULT_BATCH);
    for (const i of m.items) expect(i.error).toMatch(/image-sync: .*no space left on device.*the source was not touched/i);
    await expect(labDocker("b").getImage(image).inspect()).rejects.toThrow();
  });

  it("target disk full during the transfer (every other item): those roll back; what they left is swept once there is room", async () => {
    const ids = await counters("ft-disk");
    const mounted: string[] = [];
    let m: MigrationView;
    const t0 = Date.now();
    try {
      m = await migrate(ids, {
        // The target container's checkpoints/ on a 16 KiB filesystem: the checkpoint cannot land.
        beforePhase: async ({ item, phase, target, targetContainerId }) => {
          if (phase !== "transfer" || !odd(item.seq)) return;
          const dir = ops.checkpointsDir(target, targetContainerId!);
          fs.mkdirSync(dir, { recursive: true });
          await run("mount", ["-t", "tmpfs", "-o", "size=16k", "ferry-fault-full", dir]);
          mounted.push(dir);
        },
      });
    } finally {
      for (const dir of mounted) await unmount(dir);
    }
    const row = await settle("target disk full during the transfer (every other item)", m, Date.now() - t0);
    expect(row.rolledBack).toBe(mounted.length);
    expect(mounted.length).toBe(Math.floor(FAULT_BATCH / 2));
    for (const i of m.items.filter((x) => x.status === "rolled-back")) expect(i.error).toMatch(/transfer: .*no space left on device/i);
    await sweptClean(m);
  });

  it("two batches to one target at once share its budget, which fits only one of them: together they never take more", async () => {
    const half = Math.ceil(FAULT_BATCH / 2);
    const first = await counters("ft-share-a", half);
    const second = await counters("ft-share-b", half);
    const plan = await previewMigration(batch([...first, ...second]));
    const need = Math.max(...plan.items.map((i) => i.memoryNeedBytes));
    await db.host.update({ where: { id: hosts.b.id }, data: { memoryBudgetBytes: BigInt(plan.targets[0]!.usedBytes + Math.floor((half + 0.5) * need)) } });
    try {
      const eng = new MigrationEngine();
      const t0 = Date.now();
      const [a, b] = await Promise.all([startMigration(batch(first), "t1", eng), startMigration(batch(second), "t2", eng)]);
      await Promise.all([eng.start(a.id), eng.start(b.id)]);
      const ma = await getMigration(a.id);
      const mb = await getMigration(b.id);
      const items = [...ma.items, ...mb.items];
      expect(items.filter((i) => i.status === "done")).toHaveLength(half);
      expect(items.filter((i) => i.status === "skipped")).toHaveLength(half);
      for (const i of items.filter((x) => x.status === "skipped")) expect(i.error).toMatch(/does not fit lab-b's memory budget/);
      const took = Date.now() - t0;
      const both = { ...ma, items };
      await settle("two batches at once to a target whose budget fits one", both, took);
    } finally {
      await db.host.update({ where: { id: hosts.b.id }, data: { memoryBudgetBytes: null } });
    }
  });

  it("the same containers submitted twice at once: one batch takes them, the other is refused (409) and stops nothing", async () => {
    const ids = await counters("ft-twice");
    const eng = new MigrationEngine();
    const t0 = Date.now();
    const results = await Promise.allSettled([startMigration(batch(ids), "t1", eng), startMigration(batch(ids), "t2", eng)]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(MigrationConflictError);
    const m = await waitFor("the batch to end", async () => {
      const v = await getMigration((ok[0] as PromiseFulfilledResult<{ id: string }>).value.id);
      return ["done", "failed"].includes(v.status) ? v : null;
    }, 120_000);
    const row = await settle("the same containers submitted twice at once", m, Date.now() - t0);
    expect(row.done).toBe(FAULT_BATCH);
  });
});
