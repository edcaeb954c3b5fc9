import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetCriuProbe, probeCriu } from "@/lib/migration/criu";
import * as ops from "@/lib/migration/docker-ops";
import { MigrationEngine } from "@/lib/migration/engine";
import { pairResult } from "@/lib/migration/pair-probe";
import { ensureProbeImage } from "@/lib/migration/probe";
import { PROBE_IMAGE } from "@/lib/migration/probe-image";
import { getMigration, previewMigration, startMigration } from "@/lib/migration/service";
import type { MigrationRequest } from "@/lib/validations/migration";
import { labHosts } from "../support/hosts";
import { counterValues, execIn, labDocker, LAB, logLines, removeTestContainers, SERVER_IMAGES, startContainer, waitFor, isRunning as running } from "../support/lab";

/**
 * Real servers (Debian's redis, nginx and PostgreSQL, built by the lab on host A only) moved
 * between the lab's daemons with real CRIU, each checked with the program's own client from inside
 * the container's own network namespace (docker exec), never over a bridge.
 */

const run = promisify(execFile);
let hosts: Awaited<ReturnType<typeof labHosts>>;

/** Source logs as they were right after the checkpoint (the source is removed once the move is done). */
const sourceLogs = new Map<string, string[]>();
const observing = () =>
  new MigrationEngine({
    afterPhase: async ({ item, phase }) => {
      if (phase === "checkpoint") sourceLogs.set(item.name, await logLines("a", item.sourceContainerId));
    },
  });

async function migrate(request: MigrationRequest, eng = observing()) {
  const { id } = await startMigration(request, "integration-test", eng);
  await eng.start(id);
  return getMigration(id);
}

const one = (containerId: string): MigrationRequest => ({ targetHostId: hosts.b.id, items: [{ hostId: hosts.a.id, containerId }] });

async function sh(which: "a" | "b", id: string, script: string, user?: string) {
  const r = await execIn(which, id, ["/bin/sh", "-c", script], { user });
  return r;
}

/** Points a lab host's CRIU at a given version (scripts/lab.sh criu), and forgets cached probes. */
async function labCriu(host: "a" | "b", version: "4.1.1" | "default") {
  await run("bash", ["scripts/lab.sh", "criu", host, version]);
  forgetCriuProbe();
}

function figures(name: string, item: { downtimeMs: number | null; bytesMoved: number; phases: { name: string; bytes: number | null }[] }) {
  const image = item.phases.find((p) => p.name === "image-sync")?.bytes ?? 0;
  const transfer = item.phases.find((p) => p.name === "transfer")?.bytes ?? 0;
  console.log(`[figures] ${name}: downtime ${item.downtimeMs} ms, moved ${item.bytesMoved} bytes (image ${image}, checkpoint+files ${transfer})`);
}

describe("real servers move with their state", () => {
  beforeAll(async () => {
    await removeTestContainers();
    hosts = await labHosts();
    await labCriu("a", "default");
    await labCriu("b", "default");
    // The lab builds server images on A only; a previous run (or a demo's move) may have left them
    // on B, tagged or not: removed by A's image id, which is what an image sync looks for.
    for (const image of Object.values(SERVER_IMAGES)) {
      const id = (await labDocker("a").getImage(image).inspect()).Id;
      await labDocker("b")
        .getImage(id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
  afterAll(async () => {
    await labCriu("a", "default");
    await labCriu("b", "default");
    await removeTestContainers();
  });

  it("redis: every key written before the move is there, served by the same process, which takes new writes", async () => {
    const id = await startContainer("a", "it-redis", { Image: SERVER_IMAGES.redis, Entrypoint: undefined });
    const cli = (which: "a" | "b", ...args: string[]) => execIn(which, which === "a" ? id : "it-redis", ["redis-cli", ...args]);
    await waitFor("redis to answer PING", async () => (await cli("a", "PING")).stdout.trim() === "PONG");
    // 200,000 keys, only in memory.
    const fill = await cli("a", "EVAL", "for i=1,200000 do redis.call('SET','key:'..i, 'value-'..i) end return redis.call('DBSIZE')", "0");
    expect(fill.stdout.trim()).toBe("200000");
    expect((await cli("a", "SET", "greeting", "written on A")).stdout.trim()).toBe("OK");
    const runId = /run_id:(\w+)/.exec((await cli("a", "INFO", "server")).stdout)?.[1];
    expect(runId).toMatch(/^[0-9a-f]{40}$/);

    const plan = await previewMigration(one(id));
    expect(plan.items[0]!.errors).toEqual([]);

    const m = await migrate(one(id));
    const item = m.items[0]!;
    expect([item.status, item.error]).toEqual(["done", null]);
    expect(item.phases.find((p) => p.name === "image-sync")!.bytes).toBeGreaterThan(5_000_000); // a real image went A→B
    expect(await running("a", id)).toBe(false);
    expect(await running("b", "it-redis")).toBe(true);

    // Same process (run_id is made at server start), all data, and it still takes writes.
    expect(/run_id:(\w+)/.exec((await cli("b", "INFO", "server")).stdout)?.[1]).toBe(runId);
    expect((await cli("b", "DBSIZE")).stdout.trim()).toBe("200001");
    const bad = await cli("b", "EVAL", "local bad=0 for i=1,200000 do if redis.call('GET','key:'..i) ~= 'value-'..i then bad=bad+1 end end return bad", "0");
    expect(bad.stdout.trim()).toBe("0");
    expect((await cli("b", "GET", "greeting")).stdout.trim()).toBe("written on A");
    expect((await cli("b", "SET", "after", "written on B")).stdout.trim()).toBe("OK");
    expect((await cli("b", "GET", "after")).stdout.trim()).toBe("written on B");
    figures("redis, 200,000 keys", item);
  });

  it("nginx: serves the same page after the move, and a client inside the container never saw a failed request", async () => {
    // nginx plus a client in the container's own process tree, requesting every 200 ms throughout.
    const script =
      "/usr/sbin/nginx -e stderr & " +
      "i=0; while true; do i=$((i+1)); if wget -q -O /dev/null http://127.0.0.1:8080/; then echo ok $i; else echo fail $i; fi; sleep 0.2; done";
    const id = await startContainer("a", "it-nginx", { Image: SERVER_IMAGES.nginx, Entrypoint: ["/bin/sh", "-c", script] });
    await waitFor("requests answered on A", async () => (await logLines("a", id)).filter((l) => l.startsWith("ok ")).length >= 3, 20_000);
    const page = (await execIn("a", id, ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/"])).stdout;
    expect(page).toContain("Ferry lab nginx");

    const m = await migrate(one(id));
    const item = m.items[0]!;
    expect([item.status, item.error]).toEqual(["done", null]);
    const lastOnA = Math.max(...sourceLogs.get("it-nginx")!.map((l) => Number(l.split(" ")[1])).filter(Number.isFinite));
    expect(await running("a", id)).toBe(false);

    // On B the client goes on from where it was, every request answered, and a new client gets the page.
    const onB = await waitFor("five more requests on B", async () => {
      const lines = await logLines("b", "it-nginx");
      return lines.filter((l) => l.startsWith("ok ")).length >= 5 ? lines : null;
    });
    expect(onB.filter((l) => l.startsWith("fail"))).toEqual([]);
    expect(Number(onB.find((l) => l.startsWith("ok "))!.split(" ")[1])).toBeGreaterThan(lastOnA);
    expect((await execIn("b", "it-nginx", ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/"])).stdout).toBe(page);
    figures("nginx", item);
  });

  it("postgres: committed rows are there, and a session with an open transaction goes on and commits on B", async () => {
    const psql = "psql -X -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1";
    const script = [
      "postgres &",
      "until pg_isready -q -h 127.0.0.1; do sleep 0.2; done",
      `${psql} -c 'CREATE TABLE IF NOT EXISTS t (n int primary key, host text)' -c "INSERT INTO t VALUES (1, 'A') ON CONFLICT DO NOTHING"`,
      // A session of the container's own: opens a transaction, then waits for /tmp/commit-now.
      `(echo 'BEGIN;'; echo "INSERT INTO t VALUES (2, 'open on A');"; echo "SELECT 'in-transaction';"; while [ ! -e /tmp/commit-now ]; do sleep 0.2; done; echo 'COMMIT;'; echo "SELECT 'committed';") | ${psql} -A -t`,
      "sleep infinity",
    ].join("\n");
    const id = await startContainer("a", "it-postgres", { Image: SERVER_IMAGES.postgres, Entrypoint: ["/bin/sh", "-c", script] });
    await waitFor("the open transaction on A", async () => (await logLines("a", id)).includes("in-transaction"), 60_000);
    const count = async (which: "a" | "b", c: string) => (await execIn(which, c, ["sh", "-c", `${psql} -A -t -c 'SELECT count(*) FROM t'`])).stdout.trim();
    expect(await count("a", id)).toBe("1"); // row 2 is not committed yet

    // An operator's session from outside the tree (docker exec psql over TCP) with its own open transaction.
    const exec = await labDocker("a").getContainer(id).exec({ Cmd: ["sh", "-c", `${psql} -A -t`], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const session = (await exec.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream;
    let said = "";
    session.on("data", (d: Buffer) => (said += d.toString("latin1")));
    const sessionEnded = new Promise<void>((resolve) => session.on("end", () => resolve()));
    session.write("BEGIN;\nINSERT INTO t VALUES (3, 'exec session');\nSELECT 'exec-open';\n");
    await waitFor("the exec session's open transaction", async () => said.includes("exec-open"), 20_000);

    const plan = await previewMigration(one(id));
    expect(plan.items[0]!.errors).toEqual([]);
    const warned = plan.items[0]!.warnings.join("\n");
    expect(warned).toMatch(/TCP connection end\(s\) between its own processes: they move with it, open/);
    expect(warned).toMatch(/1 process\(es\) started by docker exec are running \(sh -c psql .*\): they are not part of the container's process tree.*an open transaction there is rolled back/);

    const m = await migrate(one(id));
    const item = m.items[0]!;
    expect([item.status, item.error]).toEqual(["done", null]);
    await sessionEnded; // as pre-flight said: the exec session ended with the source
    expect(await count("b", "it-postgres")).toBe("1");
    await sh("b", "it-postgres", "touch /tmp/commit-now");
    await waitFor("the session to commit on B", async () => (await logLines("b", "it-postgres")).includes("committed"), 20_000);
    const rows = await execIn("b", "it-postgres", ["sh", "-c", `${psql} -A -t -c 'SELECT n, host FROM t ORDER BY n'`]);
    // The container's own session committed; the exec session's transaction was rolled back.
    expect(rows.stdout.trim().split("\n")).toEqual(["1|A", "2|open on A"]);
    figures("postgres", item);
  });

  it("an established connection between two processes of the container carries bytes both ways after the move", async () => {
    // An echo server (nc + cat) and a client sending "ping N" every 200 ms, printing each echo.
    const script =
      "/bin/busybox nc -ll -p 9000 -e /bin/cat & sleep 0.5; " +
      "(i=0; while true; do i=$((i+1)); echo ping $i; sleep 0.2; done) | /bin/busybox nc 127.0.0.1 9000 | while read l; do echo echo $l; done";
    const id = await startContainer("a", "it-tcp-pair", { Entrypoint: ["/bin/sh", "-c", script] });
    await waitFor("echoes on A", async () => (await logLines("a", id)).length >= 3, 20_000);
    const m = await migrate(one(id));
    expect([m.items[0]!.status, m.items[0]!.error]).toEqual(["done", null]);
    const onA = sourceLogs.get("it-tcp-pair")!.map((l) => Number(/^echo ping (\d+)$/.exec(l)?.[1]));
    const onB = await waitFor("echoes on B", async () => {
      const l = await logLines("b", "it-tcp-pair");
      return l.length >= 5 ? l.map((x) => Number(/^echo ping (\d+)$/.exec(x)?.[1])) : null;
    });
    // The same connection: the sequence goes on without a gap or a restart.
    expect(onB[0]).toBe(onA.at(-1)! + 1);
    expect(onB).toEqual(onB.map((_, i) => onB[0]! + i));
  });

  it("a connection to a peer outside the container: pre-flight names it, Ferry closes it, the server serves new clients on B", async () => {
    // A counter plus an echo server; the server starts once the test has given the container an
    // IPv6 link-local address on a veth pair to a network namespace of its own (no traffic leaves
    // this machine).
    const script =
      "while [ ! -e /tmp/go ]; do sleep 0.1; done; /bin/busybox nc -ll -p 9000 -e /bin/cat & " +
      "i=1; while true; do echo $i; i=$((i+1)); sleep 1; done";
    const id = await startContainer("a", "it-external", { Entrypoint: ["/bin/sh", "-c", script] });
    const pid = String((await labDocker("a").getContainer(id).inspect()).State.Pid);
    const ns = "ferry-it-peer";
    await run("ip", ["netns", "del", ns]).catch(() => undefined);
    await run("ip", ["netns", "add", ns]);
    let peer: ReturnType<typeof spawn> | null = null;
    try {
      await run("ip", ["link", "add", "fit-c", "type", "veth", "peer", "name", "fit-p"]);
      await run("ip", ["link", "set", "fit-p", "netns", ns]);
      await run("ip", ["link", "set", "fit-c", "netns", pid]);
      const inC = (...args: string[]) => run("nsenter", ["-t", pid, "-n", ...args]);
      const inP = (...args: string[]) => run("ip", ["netns", "exec", ns, ...args]);
      await inC("sysctl", "-qw", "net.ipv6.conf.fit-c.disable_ipv6=0");
      await inC("ip", "-6", "addr", "add", "fe80::2/64", "dev", "fit-c", "nodad");
      await inC("ip", "link", "set", "fit-c", "up");
      await inP("ip", "-6", "addr", "add", "fe80::3/64", "dev", "fit-p", "nodad");
      await inP("ip", "link", "set", "fit-p", "up");
      await execIn("a", id, ["touch", "/tmp/go"]);
      await waitFor("the echo server to listen", async () => (await execIn("a", id, ["sh", "-c", "cat /proc/net/tcp6 /proc/net/tcp"])).stdout.includes(":2328 "), 10_000);

      // The outside peer connects and holds the connection open.
      peer = spawn("ip", ["netns", "exec", ns, "/bin/busybox", "nc", "fe80::2%fit-p", "9000"], { stdio: ["pipe", "pipe", "pipe"] });
      let echoed = "";
      peer.stdout!.on("data", (d: Buffer) => (echoed += d.toString()));
      const peerExit = new Promise<number | null>((resolve) => peer!.on("exit", (code) => resolve(code)));
      peer.stdin!.write("hello from outside\n");
      await waitFor("the echo from inside", async () => echoed.includes("hello from outside"), 10_000);

      const plan = await previewMigration(one(id));
      expect(plan.items[0]!.errors).toEqual([]);
      expect(plan.items[0]!.externalConnections).toBe(1);
      expect(plan.items[0]!.warnings.join("\n")).toMatch(/1 connection\(s\) to peers outside the container \(\[fe80::3\]:\d+\).*Ferry closes them just before the checkpoint/);

      const m = await migrate(one(id));
      const item = m.items[0]!;
      expect([item.status, item.error]).toEqual(["done", null]);
      expect(item.warnings.join("\n")).toMatch(/closed 1 connection\(s\) to peers outside the container before the checkpoint: tcp6 \[fe80::2\]:9000 \[fe80::3\]:\d+/);
      // The peer saw its connection closed; the counter went on; the server takes new clients on B.
      expect(await Promise.race([peerExit, new Promise((r) => setTimeout(() => r("still open"), 10_000))])).not.toBe("still open");
      const last = Number(sourceLogs.get("it-external")!.filter((l) => /^\d+$/.test(l)).at(-1));
      const onB = await waitFor("counting on B", async () => {
        const v = await counterValues("b", "it-external");
        return v.length >= 2 ? v : null;
      });
      expect(onB[0]).toBe(last + 1);
      const again = await execIn("b", "it-external", ["sh", "-c", "echo new client | /bin/busybox nc -w 2 127.0.0.1 9000"]);
      expect(again.stdout).toContain("new client");
    } finally {
      peer?.kill();
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
  });

  it("moves 64 MiB, 256 MiB and 1 GiB of memory intact, streamed: the dashboard's memory does not grow with it", async () => {
    await ensureProbeImage(await ops.openSide({ id: hosts.a.id, name: hosts.a.name, endpoint: LAB.a.endpoint }));
    for (const mib of [64, 256, 1024]) {
      const name = `it-memory-${mib}`;
      const id = await startContainer("a", name, { Image: PROBE_IMAGE, Entrypoint: undefined, Cmd: ["memory", String(mib), "7"] });
      const parse = (lines: string[]) =>
        lines.flatMap((l) => {
          const m = /^sum ([0-9a-f]{16}) (\d+)$/.exec(l);
          return m ? [{ sum: m[1]!, n: Number(m[2]) }] : [];
        });
      const sums = async (which: "a" | "b", c: string) => parse(await logLines(which, c));
      const before = await waitFor(`${mib} MiB filled and summed`, async () => ((await sums("a", id)).length ? sums("a", id) : null), 60_000);
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const m = await migrate(one(id)).finally(() => clearInterval(sampler));
      const item = m.items[0]!;
      expect([item.status, item.error]).toEqual(["done", null]);
      expect(item.bytesMoved).toBeGreaterThan(mib * 1024 * 1024);
      const onA = parse(sourceLogs.get(name)!);
      const after = await waitFor(`a new sum on B (${mib} MiB)`, async () => {
        const s = await sums("b", name);
        return s.some((x) => x.n > onA.at(-1)!.n) ? s : null;
      }, 60_000);
      // The same memory, checked by the process itself, and its iteration count went on.
      expect(new Set([...before, ...onA, ...after].map((x) => x.sum)).size).toBe(1);
      expect((await logLines("b", name)).filter((l) => l.startsWith("broken"))).toEqual([]);
      const growth = peak - rssBefore;
      const transfer = item.phases.find((p) => p.name === "transfer")!;
      console.log(
        `[figures] memory ${mib} MiB: downtime ${item.downtimeMs} ms, moved ${item.bytesMoved} bytes, transfer ${transfer.detail}; ` +
          `test process RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(peak / 2 ** 20)} MiB (+${Math.round(growth / 2 ** 20)} MiB)`,
      );
      expect(growth).toBeLessThan(192 * 1024 * 1024);
      await labDocker("b").getContainer(name).remove({ force: true });
    }
  });

  it("hosts whose CRIU cannot dump sockets: pre-flight refuses a server, names the fix, nothing stops; a socket-free container still moves", async () => {
    const id = await startContainer("a", "it-old-criu", { Image: SERVER_IMAGES.redis, Entrypoint: undefined });
    await waitFor("redis to answer", async () => (await execIn("a", id, ["redis-cli", "PING"])).stdout.trim() === "PONG");
    const runId = /run_id:(\w+)/.exec((await execIn("a", id, ["redis-cli", "INFO", "server"])).stdout)?.[1];
    const counter = await startContainer("a", "it-old-criu-counter");
    await labCriu("a", "4.1.1");
    await labCriu("b", "4.1.1");
    try {
      const m = await migrate({ targetHostId: hosts.b.id, items: [id, counter].map((containerId) => ({ hostId: hosts.a.id, containerId })) });
      const [server, plain] = m.items;
      expect(server!.status).toBe("skipped");
      expect(server!.error).toMatch(/source: CRIU on lab-a cannot dump TCP\/UDP sockets on kernel \d+\.\d+: CRIU 4\.2 or newer is needed \(tcp-listen\)/);
      expect(server!.error).toMatch(/target: CRIU on lab-b cannot dump TCP\/UDP sockets on kernel \d+\.\d+: CRIU 4\.2 or newer is needed \(tcp-listen\)/);
      // What the container does not need, old CRIU still does: the counter moved.
      expect([plain!.status, plain!.error, plain!.warnings]).toEqual(["done", null, []]);
      // The pair probe pre-flight ran for it held no TCP socket either, and says why.
      const pair = await pairResult(await ops.openSide({ ...hosts.a, endpoint: LAB.a.endpoint }), await ops.openSide({ ...hosts.b, endpoint: LAB.b.endpoint }));
      expect([pair.outcome, pair.features]).toEqual(["works", "unix pipe file threads"]);
      expect(pair.detail).toMatch(/ \(TCP sockets not tried: by their own CRIU probes, lab-a and lab-b cannot move them\)$/);
      expect(await running("a", id)).toBe(true);
      expect(/run_id:(\w+)/.exec((await execIn("a", id, ["redis-cli", "INFO", "server"])).stdout)?.[1]).toBe(runId);
    } finally {
      await labCriu("a", "default");
      await labCriu("b", "default");
    }
  });

  it("a host whose runc.conf lacks tcp-established: the probe names the option to add", async () => {
    const conf = "/etc/criu/runc.conf";
    const original = fs.readFileSync(conf, "utf8");
    expect(original).toMatch(/^tcp-established$/m);
    fs.writeFileSync(conf, original.replace(/^tcp-established$/m, "# tcp-established (taken out by a test)"));
    try {
      const side = await ops.openSide({ id: hosts.b.id, name: hosts.b.name, endpoint: LAB.b.endpoint });
      const probe = await probeCriu(side, { fresh: true });
      expect(probe.ok).toBe(false);
      expect(probe.capabilities.filter((c) => !c.ok).map((c) => c.name)).toEqual(["tcp-established"]);
      expect(probe.error).toBe("CRIU on lab-b needs `tcp-established` in /etc/criu/runc.conf to move established TCP connections (tcp-established)");
    } finally {
      fs.writeFileSync(conf, original);
      forgetCriuProbe();
    }
  });

  it("a checkpoint CRIU refuses carries CRIU's own first error line, and the server keeps running", async () => {
    const id = await startContainer("a", "it-criu-error", { Image: SERVER_IMAGES.redis, Entrypoint: undefined });
    await waitFor("redis to answer", async () => (await execIn("a", id, ["redis-cli", "PING"])).stdout.trim() === "PONG");
    // Pre-flight passes with CRIU 4.2.1; then host A's CRIU is swapped for 4.1.1 before the checkpoint.
    const eng = new MigrationEngine({
      afterPhase: async ({ phase }) => {
        if (phase === "create") await run("bash", ["scripts/lab.sh", "criu", "a", "4.1.1"]);
      },
    });
    try {
      const m = await migrate(one(id), eng);
      const item = m.items[0]!;
      expect(item.status).toBe("rolled-back");
      expect(item.error).toMatch(/checkpoint failed: CRIU: sockets: Can't get 1:16 opt: Operation not supported \(criu\/sockets\.c:\d+\)/);
      expect(item.error).toMatch(/CRIU cannot dump TCP\/UDP sockets on kernel/);
      expect(item.phases.find((p) => p.name === "rollback")?.detail).toMatch(/the source never stopped; it is still running/);
      expect(await running("a", id)).toBe(true);
      expect((await execIn("a", id, ["redis-cli", "PING"])).stdout.trim()).toBe("PONG");
      expect(await running("b", "it-criu-error")).toBe(false);
    } finally {
      await labCriu("a", "default");
    }
  });
});
