import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { MigrationEngine } from "@/lib/migration/engine";
import * as ops from "@/lib/migration/docker-ops";
import { getMigration, MigrationConflictError, previewMigration, startMigration } from "@/lib/migration/service";
import { sweepHost } from "@/lib/migration/sweep";
import type { MigrationRequest } from "@/lib/validations/migration";
import { counterValues, isRunning, labDocker, leftoverHelpers, readFileFrom, removeTestContainers, startContainer, startCounter, untilCounted, untilPast } from "../support/lab";
import { labHosts } from "../support/hosts";

/**
 * Real migrations between the lab's two daemons with real CRIU. Every test checks what a user
 * would: the counter went on from where it was, the container runs where it should, nothing left.
 */

const run = promisify(execFile);
let hosts: Awaited<ReturnType<typeof labHosts>>;
const lastOnSource = new Map<string, number>();

/** An engine that notes each source counter's last number right after its checkpoint. */
function observingEngine(extra: ConstructorParameters<typeof MigrationEngine>[0] = {}) {
  return new MigrationEngine({
    ...extra,
    afterPhase: async ({ item, phase }) => {
      if (phase === "checkpoint") {
        const values = await counterValues(item.sourceHostName === hosts.a.name ? "a" : "b", item.sourceContainerId);
        lastOnSource.set(item.name, values.at(-1)!);
      }
      await extra.afterPhase?.({ item, phase });
    },
  });
}

async function migrate(request: MigrationRequest, eng = observingEngine()) {
  const { id } = await startMigration(request, "integration-test", eng);
  await eng.start(id);
  return getMigration(id);
}

const onB = async (name: string) => labDocker("b").getContainer(name).inspect();
const goneFromA = async (id: string) =>
  labDocker("a")
    .getContainer(id)
    .inspect()
    .then(
      () => false,
      () => true,
    );

/** The counter on B resumed: its first number is the next after the last one on A. */
async function expectContinued(name: string) {
  const values = await untilCounted("b", name, 2);
  expect(values.length, `${name} printed on B`).toBeGreaterThan(0);
  expect(values[0], `${name}: first on B after last on A (${lastOnSource.get(name)})`).toBe(lastOnSource.get(name)! + 1);
  expect(values).toEqual(values.map((_, i) => values[0]! + i)); // no restart, no gap
}

async function checkpointsLeft(which: "a" | "b", id: string) {
  const c = labDocker(which).getContainer(id) as unknown as { listCheckpoint(): Promise<unknown> };
  const raw = await c.listCheckpoint();
  // Docker answers "null" for none, which dockerode returns as a Buffer.
  const list = (Buffer.isBuffer(raw) ? JSON.parse(raw.toString("utf8")) : raw) as { Name: string }[] | null;
  return (list ?? []).map((x) => x.Name);
}

describe("live migration between the lab's daemons", () => {
  beforeAll(async () => {
    await removeTestContainers();
    hosts = await labHosts();
  });
  afterAll(async () => {
    await removeTestContainers();
  });

  it("moves one counter A→B: it keeps counting on B, the source is gone, nothing is left", async () => {
    const id = await startCounter("a", "it-one");
    await untilCounted("a", id);
    const m = await migrate({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }] });
    const [item] = m.items;
    expect(item).toMatchObject({ status: "done", name: "it-one", error: null });
    expect(m.status).toBe("done");
    expect(item!.downtimeMs).toBeGreaterThan(0);
    expect(item!.bytesMoved).toBeGreaterThan(10_000);
    expect(item!.phases.map((p) => p.name)).toEqual(["preflight", "image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup"]);
    expect(item!.phases.every((p) => p.ok && p.endedAt)).toBe(true);
    expect((await onB("it-one")).State.Running).toBe(true);
    expect((await onB("it-one")).Config.Hostname).toBe("it-one");
    expect(await goneFromA(id)).toBe(true);
    await expectContinued("it-one");
    expect(await checkpointsLeft("b", item!.targetContainerId!)).toEqual([]);
    expect(await leftoverHelpers("a")).toBe(0);
    expect(await leftoverHelpers("b")).toBe(0);
    console.log(`[figures] 1 container: downtime ${item!.downtimeMs} ms, ${item!.bytesMoved} bytes moved`);
  });

  it("moves ten counters at once; every one continues on B", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 10; i++) ids.push(await startCounter("a", `it-ten-${i}`));
    await Promise.all(ids.map((i) => untilCounted("a", i)));
    const t0 = Date.now();
    const m = await migrate({
      targetHostId: hosts.b.id,
      items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })),
      options: { concurrency: 4, keepSource: false, nameConflict: "fail" },
    });
    const wall = Date.now() - t0;
    expect(m.counts).toEqual({ done: 10 });
    for (let i = 1; i <= 10; i++) {
      expect((await onB(`it-ten-${i}`)).State.Running).toBe(true);
      expect(await goneFromA(ids[i - 1]!)).toBe(true);
    }
    for (let i = 1; i <= 10; i++) await expectContinued(`it-ten-${i}`);
    for (const item of m.items) expect(await checkpointsLeft("b", item.targetContainerId!)).toEqual([]);
    expect(await leftoverHelpers("a")).toBe(0);
    expect(await leftoverHelpers("b")).toBe(0);
    const down = m.items.map((i) => i.downtimeMs!).sort((a, b) => a - b);
    console.log(`[figures] 10 containers, concurrency 4: ${wall} ms wall, downtime p50 ${down[4]} ms, max ${down[9]} ms`);
  });

  it("carries a file the process holds open and a named volume's contents", async () => {
    await labDocker("b").getVolume("ferry-it-vol").remove({ force: true }).catch(() => undefined);
    await labDocker("a").getVolume("ferry-it-vol").remove({ force: true }).catch(() => undefined);
    const held = await startContainer("a", "it-held-file", {
      Entrypoint: ["/bin/sh", "-c", "echo hello-from-A > /data/held.txt; exec 3</data/held.txt; i=1; while true; do echo $i; i=$((i+1)); sleep 1; done"],
    });
    const vol = await startContainer("a", "it-volume", {
      Entrypoint: ["/bin/sh", "-c", "echo payload-$(date +%s) > /vol/payload.txt; i=1; while true; do echo $i; i=$((i+1)); sleep 1; done"],
      HostConfig: { Binds: ["ferry-it-vol:/vol"] },
    });
    await Promise.all([untilCounted("a", held), untilCounted("a", vol)]);
    const payload = await readFileFrom("a", vol, "/vol/payload.txt");
    const m = await migrate({
      targetHostId: hosts.b.id,
      items: [held, vol].map((containerId) => ({ hostId: hosts.a.id, containerId })),
    });
    expect(m.items.map((i) => [i.name, i.status, i.error])).toEqual([
      ["it-held-file", "done", null],
      ["it-volume", "done", null],
    ]);
    expect(await readFileFrom("b", "it-held-file", "/data/held.txt")).toBe("hello-from-A\n");
    expect(await readFileFrom("b", "it-volume", "/vol/payload.txt")).toBe(payload);
    expect((await labDocker("b").getVolume("ferry-it-vol").inspect()).Name).toBe("ferry-it-vol");
    await expectContinued("it-held-file");
    await expectContinued("it-volume");
  });

  it("copies an image the target lacks, once for the whole batch", async () => {
    // A new image (a layer on the counter image) that B has never seen.
    const base = await labDocker("a").createContainer({ Image: "ferry/counter:lab", Entrypoint: ["/bin/sh", "-c", "echo layer > /data/layer.txt"], Labels: { "ferry.test": "1" }, HostConfig: { NetworkMode: "none" } });
    await base.start();
    await base.wait();
    const tag = `it-sync-${Date.now()}`;
    await base.commit({ repo: "ferry/counter", tag, changes: 'ENTRYPOINT ["/bin/sh","-c","i=1; while true; do echo $i; i=$((i+1)); sleep 1; done"]' } as object);
    const image = `ferry/counter:${tag}`;
    await expect(labDocker("b").getImage(image).inspect()).rejects.toThrow();
    const ids = [await startContainer("a", "it-img-1", { Image: image }), await startContainer("a", "it-img-2", { Image: image })];
    await Promise.all(ids.map((i) => untilCounted("a", i)));
    const m = await migrate({ targetHostId: hosts.b.id, items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })), options: { concurrency: 2, keepSource: false, nameConflict: "fail" } });
    expect(m.counts).toEqual({ done: 2 });
    const syncs = m.items.map((i) => i.phases.find((p) => p.name === "image-sync")!.detail!);
    expect(syncs.filter((d) => d.startsWith("loaded ferry/counter:")).length).toBe(1);
    expect((await labDocker("b").getImage(image).inspect()).RepoTags).toContain(image);
    await expectContinued("it-img-1");
    await expectContinued("it-img-2");
  });

  it("handles a name taken on the target: refused by default, renamed on request", async () => {
    const squatter = await labDocker("b").createContainer({ name: "it-taken", Image: "ferry/counter:lab", Labels: { "ferry.test": "1" }, HostConfig: { NetworkMode: "none" } });
    expect(squatter.id).toBeTruthy();
    const id = await startCounter("a", "it-taken");
    const refused = await migrate({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }] });
    expect(refused.items[0]).toMatchObject({ status: "skipped", errorCode: "PREFLIGHT" });
    expect(refused.items[0]!.error).toMatch(/the name "it-taken" is taken on lab-b/);
    expect((await labDocker("a").getContainer(id).inspect()).State.Running).toBe(true);

    await untilCounted("a", id);
    const renamed = await migrate({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }], options: { nameConflict: "suffix", keepSource: false, concurrency: 4 } });
    expect(renamed.items[0]).toMatchObject({ status: "done", targetName: "it-taken-migrated" });
    expect((await onB("it-taken-migrated")).State.Running).toBe(true);
    // The counter's log lives under the new name on B; its last number on A was noted as "it-taken".
    lastOnSource.set("it-taken-migrated", lastOnSource.get("it-taken")!);
    await expectContinued("it-taken-migrated");
  });

  it("a cleanup that cannot delete the target's checkpoint records it on the item; the host sweep deletes it once it can", async () => {
    const id = await startCounter("a", "it-leftover");
    await untilCounted("a", id);
    let dir = "";
    const eng = observingEngine({
      // The checkpoint directory becomes a mount point: dockerd cannot remove it (EBUSY).
      beforePhase: async ({ phase, target, targetContainerId, checkpointId }) => {
        if (phase !== "cleanup") return;
        dir = `${ops.checkpointsDir(target, targetContainerId!)}/${checkpointId}`;
        await run("mount", ["-t", "tmpfs", "-o", "size=16k", "ferry-it-leftover", dir]);
      },
    });
    let m: Awaited<ReturnType<typeof migrate>>;
    try {
      m = await migrate({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }], options: { concurrency: 1, keepSource: false, nameConflict: "fail" } }, eng);
    } finally {
      if (dir) await run("umount", [dir]);
    }
    const item = m.items[0]!;
    expect(item.status).toBe("done");
    await expectContinued("it-leftover");
    expect(item.warnings.join("; ")).toMatch(/checkpoint ferry-\S+ on lab-b could not be deleted .*the host sweep deletes it/);
    const row = await db.migrationItem.findUniqueOrThrow({ where: { id: item.id } });
    expect(JSON.parse(row.leftovers!)).toEqual([{ kind: "checkpoint", hostId: hosts.b.id, containerId: item.targetContainerId, checkpointId: `ferry-${item.id}` }]);
    expect(await checkpointsLeft("b", item.targetContainerId!)).toEqual([`ferry-${item.id}`]);

    const removed = await sweepHost(await ops.openSide({ id: hosts.b.id, name: hosts.b.name, endpoint: "unix:///run/ferry-lab-b.sock" }));
    expect(removed.map((d) => d.reason)).toContain(`the checkpoint ferry-${item.id} of ${item.targetContainerId!.slice(0, 12)}, left by a finished move`);
    expect(await checkpointsLeft("b", item.targetContainerId!)).toEqual([]);
    expect((await db.migrationItem.findUniqueOrThrow({ where: { id: item.id } })).leftovers).toBeNull();
    expect(await isRunning("b", "it-leftover")).toBe(true);
  });

  it("rolls back when the restore fails: the source resumes from its own checkpoint and keeps counting", async () => {
    const id = await startCounter("a", "it-rollback");
    await untilCounted("a", id);
    const eng = observingEngine({
      // Fault: the checkpoint vanishes from the target just before the restore.
      beforeRestore: async ({ target, targetContainerId, checkpointId }) => ops.deleteCheckpoint(target, targetContainerId, checkpointId),
    });
    const m = await migrate({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }] }, eng);
    const item = m.items[0]!;
    expect(item.status).toBe("rolled-back");
    expect(item.error).toMatch(/^restore: /);
    expect(item.phases.at(-1)).toMatchObject({ name: "rollback", ok: true });
    expect(m.status).toBe("failed");
    // The half-made target is gone; the source runs again and its counter never restarted.
    await expect(labDocker("b").getContainer("it-rollback").inspect()).rejects.toThrow();
    expect((await labDocker("a").getContainer(id).inspect()).State.Running).toBe(true);
    const last = lastOnSource.get("it-rollback")!;
    const values = await untilPast("a", id, last);
    expect(values.at(-1)!).toBeGreaterThan(last);
    expect(values).toEqual(values.map((_, i) => i + 1)); // 1, 2, 3 … without a second start at 1
    expect(await checkpointsLeft("a", id)).toEqual([]);
  });

  it("leaves no copy of a moved container's memory in the hosts' /tmp (containerd 1.6 keeps one of every checkpoint it restores)", async () => {
    // The lab's hosts share this machine's /tmp: every copy containerd makes lands here.
    const copies = () => new Set(fs.readdirSync("/tmp").filter((n) => n.startsWith("ctrd-checkpoint")));
    const before = copies();
    const moved = await startCounter("a", "it-copy-moved");
    const rolled = await startCounter("a", "it-copy-rolled");
    await Promise.all([moved, rolled].map((i) => untilCounted("a", i)));
    let afterRestore: string[] = [];
    const eng = observingEngine({
      // it-copy-rolled: its checkpoint vanishes from B, so the source resumes from its own (a restore on A).
      beforeRestore: async ({ item, target, targetContainerId, checkpointId }) => {
        if (item.name === "it-copy-rolled") await ops.deleteCheckpoint(target, targetContainerId, checkpointId);
      },
      afterPhase: async ({ item, phase }) => {
        if (item.name === "it-copy-moved" && phase === "verify") afterRestore = [...copies()].filter((n) => !before.has(n));
      },
    });
    const m = await migrate({ targetHostId: hosts.b.id, items: [moved, rolled].map((containerId) => ({ hostId: hosts.a.id, containerId })), options: { concurrency: 1, keepSource: false, nameConflict: "fail" } }, eng);
    expect(m.items.map((i) => [i.name, i.status])).toEqual([
      ["it-copy-moved", "done"],
      ["it-copy-rolled", "rolled-back"],
    ]);
    // Docker 20.10's containerd did leave a copy of the restored checkpoint (B's restore) …
    expect(afterRestore.length, "a ctrd-checkpoint copy right after the restore on B").toBeGreaterThan(0);
    // … and once the batch has ended none is left, neither B's nor the one A's rollback restore made.
    expect([...copies()].filter((n) => !before.has(n))).toEqual([]);
    await expectContinued("it-copy-moved");
    expect(await isRunning("a", "it-copy-rolled")).toBe(true);
  });

  it("never exceeds the target's memory budget: what does not fit is skipped and keeps running on A", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 20; i++) ids.push(await startCounter("a", `it-cap-${String(i).padStart(2, "0")}`));
    await Promise.all(ids.map((i) => untilCounted("a", i)));
    const request: MigrationRequest = { targetHostId: hosts.b.id, items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })) };
    const plan = await previewMigration(request);
    const need = Math.max(...plan.items.map((i) => i.memoryNeedBytes));
    const budget = plan.targets[0]!.usedBytes + Math.floor(5.5 * need);
    await db.host.update({ where: { id: hosts.b.id }, data: { memoryBudgetBytes: BigInt(budget) } });
    try {
      const m = await migrate(request);
      expect(m.counts).toEqual({ done: 5, skipped: 15 });
      for (const item of m.items.filter((i) => i.status === "skipped")) {
        expect(item.error).toMatch(/does not fit lab-b's memory budget/);
        expect((await labDocker("a").getContainer(item.containerId).inspect()).State.Running).toBe(true);
      }
      for (const item of m.items.filter((i) => i.status === "done")) expect((await onB(item.name)).State.Running).toBe(true);
    } finally {
      await db.host.update({ where: { id: hosts.b.id }, data: { memoryBudgetBytes: null } });
    }
  });

  it("cancel stops admitting: in-flight items finish, the rest are skipped and still run on A", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await startCounter("a", `it-cancel-${i}`));
    await Promise.all(ids.map((i) => untilCounted("a", i)));
    const eng = new MigrationEngine({
      afterPhase: async ({ item, phase }) => {
        if (item.name === "it-cancel-1" && phase === "checkpoint") await eng.cancel(item.migrationId);
      },
    });
    const { id } = await startMigration({ targetHostId: hosts.b.id, items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })), options: { concurrency: 1, keepSource: false, nameConflict: "fail" } }, "t", eng);
    await eng.start(id);
    const m = await getMigration(id);
    expect(m.status).toBe("cancelled");
    expect(m.cancelRequested).toBe(true);
    expect(m.items[0]).toMatchObject({ name: "it-cancel-1", status: "done" });
    for (const item of m.items.slice(1)) {
      expect(item).toMatchObject({ status: "skipped", error: "cancelled before it started; still running on its source" });
      expect((await labDocker("a").getContainer(item.containerId).inspect()).State.Running).toBe(true);
    }
  });

  it("refuses to start a second migration of a container already in flight (409)", async () => {
    const id = await startCounter("a", "it-locked");
    const eng = observingEngine();
    const first = await startMigration({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }] }, "t", eng);
    await expect(startMigration({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId: id }] }, "t", eng)).rejects.toThrow(MigrationConflictError);
    await eng.start(first.id);
    expect((await getMigration(first.id)).status).toBe("done");
  });
});
