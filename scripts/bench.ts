// Migration benchmark against the lab: N counter containers A→B at each concurrency, printing
// wall time, throughput, downtime percentiles, per-phase medians and memory on the target.
//   npm run bench -- --containers 10 --concurrency 1,2,4,8
// Uses its own temporary database; removes its containers afterwards.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const N = Number(arg("containers", "10"));
const LEVELS = arg("concurrency", "1,2,4").split(",").map(Number);
if (!Number.isInteger(N) || N < 1 || LEVELS.some((c) => !Number.isInteger(c) || c < 1)) {
  console.error("usage: npm run bench -- --containers N --concurrency 1,2,4");
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-bench-"));
process.env.DATABASE_URL = `file:${path.join(dir, "bench.db")}`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function main() {
  const { migrateDatabase } = await import("@/lib/db/migrate");
  migrateDatabase(process.env.DATABASE_URL!);
  const { createHost } = await import("@/lib/hosts/service");
  const { MigrationEngine } = await import("@/lib/migration/engine");
  const { startMigration, getMigration } = await import("@/lib/migration/service");
  const { targetUsage } = await import("@/lib/migration/preflight");
  const { openSide } = await import("@/lib/migration/docker-ops");
  const a = await createHost({ name: "bench-a", endpoint: "unix:///var/run/docker.sock" });
  const b = await createHost({ name: "bench-b", endpoint: "unix:///run/ferry-lab-b.sock" });
  if (a.healthStatus === "error" || b.healthStatus === "error") throw new Error(`lab down: ${a.healthError ?? b.healthError} (run: npm run lab)`);
  const dA = new Docker({ socketPath: "/var/run/docker.sock" });
  const dB = new Docker({ socketPath: "/run/ferry-lab-b.sock" });
  const cleanup = async () => {
    for (const d of [dA, dB]) {
      const list = await d.listContainers({ all: true, filters: { label: ["ferry.bench=1"] } });
      await Promise.all(list.map((c) => d.getContainer(c.Id).remove({ force: true })));
    }
  };
  const sideB = await openSide({ ...b, id: b.id });

  console.log(`# Ferry migration benchmark: ${N} counter containers A→B per run (lab daemons, CRIU ${"4.1.1"}), ${os.cpus().length} CPUs`);
  console.log("concurrency | wall s | containers/min | downtime p50 / p95 / max ms | per-phase median ms (sync create checkpoint transfer restore verify cleanup) | target memory +MiB");
  for (const c of LEVELS) {
    await cleanup();
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const ctr = await dA.createContainer({ name: `bench-${c}-${i}`, Image: "ferry/counter:lab", Labels: { "ferry.bench": "1", "ferry.lab": "1" }, HostConfig: { NetworkMode: "none" } });
      await ctr.start();
      ids.push(ctr.id);
    }
    await new Promise((r) => setTimeout(r, 1500));
    const before = await targetUsage(sideB);
    const eng = new MigrationEngine();
    const t0 = Date.now();
    const { id } = await startMigration({ targetHostId: b.id, items: ids.map((containerId) => ({ hostId: a.id, containerId })), options: { concurrency: c, keepSource: false, nameConflict: "suffix" } }, "bench", eng);
    await eng.start(id);
    const wall = (Date.now() - t0) / 1000;
    const m = await getMigration(id);
    const after = await targetUsage(sideB);
    const done = m.items.filter((i) => i.status === "done");
    const down = done.map((i) => i.downtimeMs!);
    const phaseMs = (name: string) =>
      pct(
        done.flatMap((i) => i.phases.filter((p) => p.name === name && p.endedAt).map((p) => Date.parse(p.endedAt!) - Date.parse(p.startedAt))),
        50,
      );
    const phases = ["image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup"].map(phaseMs).join(" / ");
    console.log(
      `${String(c).padStart(11)} | ${wall.toFixed(1).padStart(6)} | ${((done.length / wall) * 60).toFixed(1).padStart(14)} | ${pct(down, 50)} / ${pct(down, 95)} / ${Math.max(...down)} | ${phases} | ${((after - before) / 1048576).toFixed(0)}` +
        (done.length < N ? `  (${N - done.length} not done: ${JSON.stringify(m.counts)})` : ""),
    );
  }
  await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error("bench failed:", err);
  process.exit(1);
});
