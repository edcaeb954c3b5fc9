/**
 * Per-container migration time and downtime A→B over each way Ferry can reach host B: its unix
 * socket, TCP with mutual TLS, SSH (`docker system dial-stdio`). Ferry's own engine on a scratch
 * database, the lab's real daemons, default options (concurrency as a user gets it).
 *
 *   flock /tmp/ferry-lab.lock npx tsx --import ./scripts/server-only-hook.mjs scripts/transports.ts [--containers 10] [--rounds 2]
 *
 * Each round runs every kind once, in a rotated order; each batch starts from N counters on A and
 * its containers are removed from B afterwards. Prints a Markdown table (docs/lab.md has it).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { migrateDatabase } from "../lib/db/migrate";
import { LAB, remoteB, removeTestContainers, startCounter, untilCounted } from "../tests/support/lab";

const { values } = parseArgs({ options: { containers: { type: "string", default: "10" }, rounds: { type: "string", default: "2" } } });
const N = Number(values.containers);
const ROUNDS = Number(values.rounds);
const KINDS = ["unix", "tls", "ssh"] as const;
type Kind = (typeof KINDS)[number];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-transports-"));
const url = `file:${path.join(dir, "ferry.db")}`;
migrateDatabase(url);
process.env.DATABASE_URL = url;
// Imported after DATABASE_URL is set: lib/db opens the database when first imported.
const { createHost } = await import("../lib/hosts/service");
const { MigrationEngine } = await import("../lib/migration/engine");
const { getMigration, startMigration } = await import("../lib/migration/service");

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

async function main() {
  const a = await createHost({ name: "a", endpoint: LAB.a.endpoint });
  const b: Record<Kind, Awaited<ReturnType<typeof createHost>>> = {
    unix: await createHost({ name: "b-unix", endpoint: LAB.b.endpoint }),
    tls: await createHost(remoteB("tls", "b-tls")),
    ssh: await createHost(remoteB("ssh", "b-ssh")),
  };
  for (const h of [a, ...Object.values(b)])
    if (h.healthStatus !== "ok") throw new Error(`${h.name}: ${h.healthError} (run: npm run lab)`);

  const results: Record<Kind, { total: number[]; down: number[]; wall: number[] }> = {
    unix: { total: [], down: [], wall: [] },
    tls: { total: [], down: [], wall: [] },
    ssh: { total: [], down: [], wall: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < KINDS.length; k++) {
      const kind = KINDS[(k + round) % KINDS.length]!;
      await removeTestContainers();
      const ids: string[] = [];
      for (let i = 1; i <= N; i++) ids.push(await startCounter("a", `transport-${kind}-${i}`));
      await Promise.all(ids.map((id) => untilCounted("a", id)));
      const eng = new MigrationEngine();
      const t0 = Date.now();
      const { id } = await startMigration({ targetHostId: b[kind].id, items: ids.map((containerId) => ({ hostId: a.id, containerId })) }, "transports", eng);
      await eng.start(id);
      const m = await getMigration(id);
      const wall = Date.now() - t0;
      const failed = m.items.filter((i) => i.status !== "done");
      if (failed.length) throw new Error(`over ${kind}: ${failed.map((i) => `${i.name} ${i.status}: ${i.error}`).join("; ")}`);
      for (const item of m.items) {
        // From its admission (image sync) to its last phase; the pre-flight is the batch's, before any.
        const phases = item.phases.filter((p) => p.name !== "preflight");
        const start = Math.min(...phases.map((p) => Date.parse(p.startedAt)));
        const end = Math.max(...phases.map((p) => Date.parse(p.endedAt ?? p.startedAt)));
        results[kind].total.push(end - start);
        results[kind].down.push(item.downtimeMs!);
      }
      results[kind].wall.push(wall);
      console.error(`round ${round + 1}, ${kind}: ${N} containers in ${wall} ms`);
    }
  }
  await removeTestContainers();

  console.log(`| A→B over | containers | per container, admitted to done: p50 / p95 | downtime p50 / p95 / max | batch wall time (each run) |`);
  console.log(`|---|---|---|---|---|`);
  for (const kind of KINDS) {
    const r = results[kind];
    console.log(
      `| ${kind === "tls" ? "tcp + mutual TLS" : kind} | ${N} × ${ROUNDS} | ${quantile(r.total, 0.5)} / ${quantile(r.total, 0.95)} ms | ` +
        `${quantile(r.down, 0.5)} / ${quantile(r.down, 0.95)} / ${Math.max(...r.down)} ms | ${r.wall.map((w) => (w / 1000).toFixed(1)).join(", ")} s |`,
    );
  }
}

try {
  await main();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
