import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { MigrationEngine } from "@/lib/migration/engine";
import { getMigration, startMigration } from "@/lib/migration/service";
import { counterValues, leftoverHelpers, removeTestContainers, startCounter, untilCounted, untilPast, waitFor, isRunning as running } from "../support/lab";
import { labHosts } from "../support/hosts";

describe("a dashboard killed mid-batch", () => {
  beforeAll(removeTestContainers);
  afterAll(removeTestContainers);

  it("resolves every in-flight item from the hosts after a restart: each ends done or rolled back, none lost", async () => {
    const hosts = await labHosts();
    const ids: string[] = [];
    for (let i = 1; i <= 8; i++) ids.push(await startCounter("a", `it-kill-${i}`));
    await Promise.all(ids.map((i) => untilCounted("a", i)));
    // Recorded, not run here: a child process runs it and is killed.
    const { id } = await startMigration(
      { targetHostId: hosts.b.id, items: ids.map((containerId) => ({ hostId: hosts.a.id, containerId })), options: { concurrency: 2, keepSource: false, nameConflict: "fail" } },
      "integration-test",
      { start: async () => undefined },
    );
    // node itself with tsx as a loader: one process, so SIGKILL really kills the engine.
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/server-only-hook.mjs", "tests/support/run-batch-child.ts", id], {
      env: { ...process.env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const exited = new Promise((r) => child.on("exit", r));
    const atKill = await waitFor(
      "one item done and another stopped on its source (checkpointing or transferring)",
      async () => {
        const items = await db.migrationItem.findMany({ where: { migrationId: id }, select: { name: true, status: true } });
        const done = items.filter((i) => i.status === "done").length;
        const atRisk = items.filter((i) => i.status === "checkpointing" || i.status === "transferring");
        return done >= 1 && atRisk.length >= 1 ? items : null;
      },
      90_000,
      50,
    );
    child.kill("SIGKILL");
    await exited;
    console.log(`[figures] killed with: ${atKill.map((i) => `${i.name}=${i.status}`).join(", ")}`);

    const eng = new MigrationEngine();
    const recovered = await eng.recover();
    expect(recovered.batches).toBe(1);
    await eng.start(id);

    const m = await getMigration(id);
    // Whatever was stopped on its source at the kill is running there again.
    for (const k of atKill.filter((i) => i.status === "checkpointing" || i.status === "transferring")) {
      const after = m.items.find((i) => i.name === k.name);
      expect(after?.status, `${k.name} (was ${k.status}): ${after?.error}`).toBe("rolled-back");
    }
    expect(["done", "failed"]).toContain(m.status);
    // Each copy prints on: a number on B after the move, or a next number on A after the rollback.
    for (const item of m.items) {
      if (item.status === "done") await untilCounted("b", item.targetContainerId!);
      else await untilPast("a", item.containerId, (await counterValues("a", item.containerId)).at(-1) ?? 0);
    }
    for (const item of m.items) {
      expect(["done", "rolled-back"], `${item.name}: ${item.status} ${item.error ?? ""}`).toContain(item.status);
      if (item.status === "done") {
        expect(await running("b", item.targetContainerId!), `${item.name} runs on B`).toBe(true);
        expect(await running("a", item.containerId), `${item.name} gone from A`).toBe(false);
        const values = await counterValues("b", item.targetContainerId!);
        expect(values.length, `${item.name} printed on B`).toBeGreaterThan(0);
        expect(values[0], `${item.name} resumed on B, not restarted`).toBeGreaterThan(1);
        expect(values).toEqual(values.map((_, k) => values[0]! + k));
      } else {
        expect(await running("a", item.containerId), `${item.name} runs on A again`).toBe(true);
        const values = await counterValues("a", item.containerId);
        expect(values).toEqual(values.map((_, k) => k + 1));
      }
    }
    // Exactly one running copy of each counter, across both hosts.
    for (let i = 1; i <= 8; i++) {
      const copies = (await running("a", `it-kill-${i}`) ? 1 : 0) + ((await running("b", `it-kill-${i}`)) ? 1 : 0);
      expect(copies, `it-kill-${i} copies`).toBe(1);
    }
    expect(await leftoverHelpers("a")).toBe(0);
    expect(await leftoverHelpers("b")).toBe(0);
  });
});
