// Migration benchmark on the lab (issue 9): Ferry driven through its REST API on a server this
// script starts, against the original lab report's method (docker CLI checkpoint, copy, start),
// on the same N counter containers A→B.
//   npm run bench -- --containers 20 --concurrency 1,2,4 --baseline --repeat 2 --doc
//   npm run bench -- --doc-only          # docs/BENCHMARKS.md and docs/bench/chart.svg from results.json
// Options: --containers N (20), --concurrency list (Ferry's default), --repeat K (1), --baseline,
// --doc, --port P (3300, or the next free one), --results FILE (a trial run's results elsewhere). Runs alternate baseline and Ferry; the table shows
// medians over the K repeats. Every run is appended to docs/bench/results.json.
// Exits 3 when a run is INVALID (a container lost, restarted or not moved). Run it under the lab lock: flock /tmp/ferry-lab.lock npm run bench -- …
// Talks to nothing but the lab's two unix sockets and the server on 127.0.0.1.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DEFAULT_CONCURRENCY } from "@/lib/validations/migration";

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Arguments

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const N = Number(arg("containers", "20"));
const LEVELS = arg("concurrency", String(DEFAULT_CONCURRENCY)).split(",").map(Number);
const REPEAT = Number(arg("repeat", "1"));
const BASELINE = flag("baseline");
const DOC = flag("doc") || flag("doc-only");
const DOC_ONLY = flag("doc-only");
const PORT0 = Number(arg("port", "3300"));
/** Also measure the pages in Chromium: the containers page and the batch's live page with N rows. */
const PAGES = flag("pages");
if (
  !Number.isInteger(N) || N < 1 || N > 500 ||
  LEVELS.some((c) => !Number.isInteger(c) || c < 1 || c > 32) ||
  !Number.isInteger(REPEAT) || REPEAT < 1 ||
  !Number.isInteger(PORT0) || PORT0 < 1024 || PORT0 > 65000
) {
  console.error("usage: npm run bench -- [--containers N] [--concurrency 1,2,4] [--repeat K] [--baseline] [--pages] [--doc] [--port P] | --doc-only");
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The lab

const IMAGE = "ferry/counter:lab";
const LABEL = "ferry.bench=1";
const HOST_A = { name: "bench-a", sock: "/var/run/docker.sock", root: "/var/lib/docker" };
const HOST_B = { name: "bench-b", sock: "/run/ferry-lab-b.sock", root: "/var/lib/ferry-lab-b/docker" };
type LabHost = typeof HOST_A;

const RESULTS = arg("results", "docs/bench/results.json");
const DOC_FILE = "docs/BENCHMARKS.md";
const CHART = "docs/bench/chart.svg";

/** One docker CLI call on a lab host (argument array, no shell); its stdout, trimmed. */
async function docker(h: LabHost, argv: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await execFileP("docker", ["-H", `unix://${h.sock}`, ...argv], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

async function removeBenchContainers(): Promise<void> {
  for (const h of [HOST_A, HOST_B]) {
    const ids = (await docker(h, ["ps", "-aq", "--filter", `label=${LABEL}`])).split("\n").filter(Boolean);
    if (ids.length) await docker(h, ["rm", "-f", ...ids]);
  }
}

/** Starts n counters on host A (label ferry.bench=1, no network); their names. */
async function startCounters(n: number, tag: string): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `bench-${tag}-${String(i + 1).padStart(3, "0")}`);
  let next = 0;
  const worker = async () => {
    while (next < names.length) await docker(HOST_A, ["run", "-d", "--name", names[next++]!, "--network", "none", "--label", LABEL, IMAGE]);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return names;
}

type CounterCheck = { checked: number; continued: number; lost: string[]; restarted: string[]; broken: string[] };

/**
 * Every counter must go on on B: the container exists and runs, never restarted, and its log (which
 * starts at the restore) begins above 1 and counts up by one. One that stayed on A (rolled back)
 * must run there, counting up by one in its own log.
 */
async function checkCounters(targets: { name: string; ref: string | null; host?: LabHost }[]): Promise<CounterCheck> {
  const out: CounterCheck = { checked: targets.length, continued: 0, lost: [], restarted: [], broken: [] };
  for (const t of targets) {
    let state: string;
    try {
      state = await docker(t.host ?? HOST_B, ["inspect", "-f", "{{.State.Running}} {{.RestartCount}} {{.State.StartedAt}}", t.ref ?? t.name]);
    } catch {
      out.lost.push(t.name);
      continue;
    }
    const [running, restarts] = state.split(" ");
    if (running !== "true") {
      out.lost.push(t.name);
      continue;
    }
    if (restarts !== "0") {
      out.restarted.push(t.name);
      continue;
    }
    const { stdout } = await execFileP("docker", ["-H", `unix://${(t.host ?? HOST_B).sock}`, "logs", t.ref ?? t.name], { maxBuffer: 16 * 1024 * 1024 });
    const nums = stdout.split("\n").map((l) => l.trim()).filter(Boolean).map(Number);
    const consecutive = nums.every((v, i) => Number.isInteger(v) && (i === 0 || v === nums[i - 1]! + 1));
    if (!nums.length || !consecutive) out.broken.push(`${t.name}: ${nums.slice(0, 5).join(",") || "no output"}`);
    else if (nums[0]! <= 1 && t.host !== HOST_A) out.restarted.push(`${t.name} (starts at ${nums[0]})`);
    else out.continued++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: /proc/stat for the machine, /proc/<pid>/stat per process group.

const HZ = Number(process.env.BENCH_USER_HZ ?? "0") || (await execFileP("getconf", ["CLK_TCK"]).then((r) => Number(r.stdout.trim())).catch(() => 100));

const GROUPS = ["node (server)", "dockerd", "containerd", "containerd-shim", "runc/criu", "docker CLI", "bench", "other"] as const;
type Group = (typeof GROUPS)[number];

type Proc = { key: string; pid: number; ppid: number; comm: string; self: number; kids: number };

function readProcs(): Map<string, Proc> {
  const out = new Map<string, Proc>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let s: string;
    try {
      s = fs.readFileSync(`/proc/${d}/stat`, "utf8");
    } catch {
      continue;
    }
    const open = s.indexOf("(");
    const close = s.lastIndexOf(")");
    const f = s.slice(close + 2).split(" ");
    // after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime … starttime(19)
    const pid = Number(d);
    out.set(`${pid}:${f[19]}`, { key: `${pid}:${f[19]}`, pid, ppid: Number(f[1]), comm: s.slice(open + 1, close), self: Number(f[11]) + Number(f[12]), kids: Number(f[13]) + Number(f[14]) });
  }
  return out;
}

function machineBusyTicks(): number {
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is already inside user)
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - cpu[3]! - cpu[4]!;
}

/** A process's group, decided the first time it is seen (its ancestry at that moment). */
function classify(p: Proc, procs: Map<string, Proc>, serverPid: number | null): Group | null {
  const byPid = new Map([...procs.values()].map((x) => [x.pid, x]));
  const under = (root: number) => {
    for (let q: Proc | undefined = p, hops = 0; q && hops < 64; q = byPid.get(q.ppid), hops++) if (q.pid === root) return true;
    return false;
  };
  if (serverPid !== null && under(serverPid)) return "node (server)";
  if (p.pid === process.pid) return "bench";
  if (under(process.pid)) return p.comm === "docker" ? "docker CLI" : "bench";
  if (p.comm === "dockerd") return "dockerd";
  if (p.comm === "containerd") return "containerd";
  if (p.comm.startsWith("containerd-shim")) return "containerd-shim";
  // the lab's criu wrapper execs criu through its own loader: comm "ld-linux-x86-64"
  if (p.comm.startsWith("runc") || p.comm === "criu" || p.comm.startsWith("ld-linux")) return "runc/criu";
  return null;
}

/**
 * What a process's reaped children cost goes to the group that runs such children: a shim's are
 * runc (and criu under it), the bench's are docker CLI calls; anyone else's stay with the parent.
 */
const childGroup = (g: Group): Group => (g === "containerd-shim" ? "runc/criu" : g === "bench" ? "docker CLI" : g);

type CpuFigures = { machineS: number; groupsS: Record<Group, number>; otherTopS: Record<string, number> };

/** Samples every 200 ms so processes that exit mid-run are seen under their own name. */
function startAccounting(serverPid: number | null) {
  const busy0 = machineBusyTicks();
  const before = readProcs();
  const seen = new Map<string, { first: Proc; last: Proc; group: Group | null }>();
  const observe = (procs: Map<string, Proc>) => {
    for (const p of procs.values()) {
      const s = seen.get(p.key);
      if (s) s.last = p;
      else seen.set(p.key, { first: p, last: p, group: classify(p, procs, serverPid) });
    }
  };
  observe(before);
  const timer = setInterval(() => observe(readProcs()), 200);
  return {
    stop(): CpuFigures {
      clearInterval(timer);
      const after = readProcs();
      observe(after);
      const busy = machineBusyTicks() - busy0;
      const ticks = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
      // CPU of children that exited, already counted under their own group: subtract it from the parent's cutime
      const reapedSeen = new Map<number, number>();
      for (const s of seen.values()) {
        if (after.has(s.last.key)) continue;
        reapedSeen.set(s.last.ppid, (reapedSeen.get(s.last.ppid) ?? 0) + s.last.self + s.last.kids);
      }
      const unnamed = new Map<string, number>(); // what the processes in no group used, by name
      for (const s of seen.values()) {
        if (!s.group) {
          const base = before.get(s.first.key);
          const end = after.get(s.last.key) ?? s.last;
          const t = end.self + end.kids - (base ? base.self + base.kids : 0) - (after.has(s.last.key) ? (reapedSeen.get(end.pid) ?? 0) : 0);
          const name = s.last.comm.replace(/\/\d+.*$/, "/*").replace(/-\d+$/, "");
          if (t > 0) unnamed.set(name, (unnamed.get(name) ?? 0) + t);
          continue;
        }
        const base = before.get(s.first.key);
        const end = after.get(s.last.key) ?? s.last;
        ticks[s.group] += end.self - (base?.self ?? 0);
        if (after.has(s.last.key)) {
          const kids = end.kids - (base?.kids ?? 0) - (reapedSeen.get(end.pid) ?? 0);
          ticks[childGroup(s.group)] += kids;
        } else {
          ticks[s.group] += end.kids - (base?.kids ?? 0);
        }
      }
      const named = GROUPS.filter((g) => g !== "other").reduce((a, g) => a + ticks[g], 0);
      ticks.other = busy - named;
      const otherTopS = Object.fromEntries([...unnamed].sort((x, y) => y[1] - x[1]).slice(0, 5).map(([n, t]) => [n, t / HZ]));
      return { machineS: busy / HZ, groupsS: Object.fromEntries(GROUPS.map((g) => [g, ticks[g] / HZ])) as Record<Group, number>, otherTopS };
    },
  };
}

/** The server's peak RSS: VmHWM of its processes (tsx's launcher and the node running server.ts). */
function serverPids(serverPid: number): number[] {
  const procs = [...readProcs().values()];
  const out = [serverPid];
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (!out.includes(p.ppid) || out.includes(p.pid)) continue;
      out.push(p.pid);
      grew = true;
    }
  }
  return out;
}
function peakRssMiB(serverPid: number): number {
  let max = 0;
  for (const pid of serverPids(serverPid)) {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) max = Math.max(max, Number(m[1]) / 1024);
  }
  return max;
}
/** Resets the peak RSS to the current RSS (clear_refs 5, Linux ≥ 4.0) so each run has its own peak. */
function resetPeakRss(serverPid: number): boolean {
  try {
    for (const pid of serverPids(serverPid)) fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

const pct = (xs: number[], p: number) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const median = (xs: number[]) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const dirBytes = (p: string): number =>
  fs.statSync(p).isDirectory() ? fs.readdirSync(p).reduce((a, f) => a + dirBytes(path.join(p, f)), 0) : fs.statSync(p).size;

type Versions = { docker: { a: string; b: string }; criu: { a: string; b: string }; kernel: string; cpus: number; cpuModel: string };

type Run = {
  date: string;
  invocation: string;
  repeat: number;
  kind: "ferry" | "baseline";
  N: number;
  concurrency: number;
  valid: boolean;
  invalid: string[];
  moved: number;
  wallS: number;
  containersPerMin: number;
  downtimeMs: { p50: number; p95: number; max: number };
  phaseMedianMs: Record<string, number>;
  outsidePhasesMedianMs: number;
  cpuSPerContainer: { machine: number } & Record<Group, number>;
  /** The processes in no group that used the most CPU (by name; kernel work shows as kworker/*), s per container. */
  cpuOtherTopSPerContainer: Record<string, number>;
  bytesMoved: number;
  serverPeakRssMiB: number | null;
  /** How long the POST that plans and records the batch took (Ferry). */
  postMs?: number;
  /** Measured in Chromium with --pages (Ferry). */
  pages?: PageFigures;
  counters: CounterCheck;
  versions: Versions;
};

type PageFigures = {
  /** Sign-in done → the containers page shows every container's row. */
  containersLoadMs: number;
  /** Navigation → the batch's live page shows every item's row. */
  migrationLoadMs: number;
  /** While the batch runs, sampled every second: how late a frame comes after it is asked for. */
  frameDelayP95Ms: number;
  frameDelayMaxMs: number;
  /** Main-thread tasks over 50 ms on the live page while the batch ran: the longest, and their sum. */
  longestTaskMs: number;
  longTasksTotalMs: number;
  /** The live page's counters caught up with the batch's end (ms after finishedAt). */
  caughtUpMs: number;
};

type RunBase = Pick<Run, "date" | "invocation" | "repeat" | "kind" | "N" | "concurrency" | "versions">;
type ItemFigures = { name: string; ok: boolean; downtimeMs: number; wallMs: number; phasesMs: Record<string, number> };

function figures(
  base: RunBase,
  items: ItemFigures[],
  wallMs: number,
  cpu: CpuFigures,
  bytesMoved: number,
  counters: CounterCheck,
  serverPeakRssMiB: number | null,
  extraInvalid: string[],
): Run {
  const ok = items.filter((i) => i.ok);
  const down = ok.map((i) => i.downtimeMs);
  const phaseNames = [...new Set(ok.flatMap((i) => Object.keys(i.phasesMs)))];
  const invalid = [...extraInvalid];
  if (ok.length < base.N) invalid.push(`${base.N - ok.length} of ${base.N} not moved`);
  if (counters.lost.length) invalid.push(`lost: ${counters.lost.join(", ")}`);
  if (counters.restarted.length) invalid.push(`restarted: ${counters.restarted.join(", ")}`);
  if (counters.broken.length) invalid.push(`count broken: ${counters.broken.join("; ")}`);
  const perCtr = (s: number) => s / base.N;
  return {
    ...base,
    valid: invalid.length === 0,
    invalid,
    moved: ok.length,
    wallS: wallMs / 1000,
    containersPerMin: (ok.length / wallMs) * 60_000,
    downtimeMs: { p50: pct(down, 50), p95: pct(down, 95), max: down.length ? Math.max(...down) : NaN },
    phaseMedianMs: Object.fromEntries(phaseNames.map((n) => [n, median(ok.map((i) => i.phasesMs[n] ?? NaN))])),
    outsidePhasesMedianMs: median(ok.map((i) => i.wallMs - Object.entries(i.phasesMs).reduce((a, [n, v]) => a + (n === "preflight" ? 0 : v), 0))),
    cpuSPerContainer: { machine: perCtr(cpu.machineS), ...(Object.fromEntries(GROUPS.map((g) => [g, perCtr(cpu.groupsS[g])])) as Record<Group, number>) },
    cpuOtherTopSPerContainer: Object.fromEntries(Object.entries(cpu.otherTopS).map(([n, v]) => [n, perCtr(v)])),
    bytesMoved,
    serverPeakRssMiB,
    counters,
  };
}

// ---------------------------------------------------------------------------------------------
// The original lab report's method: per container, one after another, docker CLI only.

async function baselineRun(base: RunBase): Promise<Run> {
  await removeBenchContainers();
  const names = await startCounters(N, `base${base.repeat}`);
  await sleep(2500); // each counter has printed a few numbers
  const acct = startAccounting(null);
  const t0 = Date.now();
  const items: ItemFigures[] = [];
  let bytes = 0;
  const errors: string[] = [];
  for (const name of names) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-bench-cp-"));
    const phasesMs: Record<string, number> = {};
    const start = Date.now();
    let t = start;
    const lap = (phase: string) => {
      const now = Date.now();
      phasesMs[phase] = now - t;
      t = now;
    };
    try {
      await docker(HOST_A, ["checkpoint", "create", "--checkpoint-dir", tmp, name, "cp1"]);
      lap("checkpoint");
      const id = await docker(HOST_B, ["create", "--name", name, "--network", "none", "--label", LABEL, IMAGE]);
      lap("create");
      fs.cpSync(path.join(tmp, "cp1"), path.join(HOST_B.root, "containers", id, "checkpoints", "cp1"), { recursive: true });
      lap("transfer");
      await docker(HOST_B, ["start", "--checkpoint", "cp1", name]);
      lap("restore");
      items.push({ name, ok: true, downtimeMs: t - start, wallMs: t - start, phasesMs });
      bytes += dirBytes(path.join(tmp, "cp1"));
    } catch (err) {
      errors.push(`${name}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
      items.push({ name, ok: false, downtimeMs: NaN, wallMs: NaN, phasesMs });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const wallMs = Date.now() - t0;
  const cpu = acct.stop();
  await sleep(2000);
  const counters = await checkCounters(names.map((name) => ({ name, ref: null })));
  await removeBenchContainers();
  return figures(base, items, wallMs, cpu, bytes, counters, null, errors);
}

// ---------------------------------------------------------------------------------------------
// Ferry through its REST API

type Api = { url: string; token: string };
type PhaseView = { name: string; startedAt: string; endedAt: string | null };
type ItemView = { name: string; status: string; targetContainerId: string | null; downtimeMs: number | null; bytesMoved: number; startedAt: string | null; finishedAt: string | null; error: string | null; phases: PhaseView[] };
type MigrationView = { id: string; status: string; finishedAt: string | null; counts: Record<string, number>; items: ItemView[] };

async function api<T>(a: Api, method: "GET" | "POST", p: string, body?: unknown, expect = [200]): Promise<T> {
  const res = await fetch(`${a.url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${a.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(300_000),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/**
 * Starts a batch of these containers A→B and waits for it to end; the batch, when it was requested
 * and how long the POST took. `watch` runs beside it from the POST's answer until the batch ends.
 */
async function migrate(a: Api, hosts: { a: string; b: string }, names: string[], concurrency: number, watch?: (id: string) => { ended: (m: MigrationView) => Promise<void> }) {
  const t0 = Date.now();
  const started = await api<MigrationView>(a, "POST", "/api/v1/migrations", { targetHostId: hosts.b, items: names.map((containerId) => ({ hostId: hosts.a, containerId })), options: { concurrency } }, [202]);
  const postMs = Date.now() - t0;
  const watching = watch?.(started.id);
  const deadline = Date.now() + names.length * 120_000 + 60_000;
  let m = started;
  while (m.status === "running") {
    if (Date.now() > deadline) throw new Error(`batch ${m.id} still running after ${(Date.now() - t0) / 1000} s`);
    await sleep(500);
    m = await api<MigrationView>(a, "GET", `/api/v1/migrations/${m.id}`);
  }
  await watching?.ended(m);
  return { m, t0, postMs };
}

// ---------------------------------------------------------------------------------------------
// The pages, in Chromium (--pages)

type Browser = { close: () => Promise<void>; page: import("@playwright/test").Page };

async function openBrowser(a: Api, password: string): Promise<Browser> {
  const { chromium } = await import("@playwright/test");
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
  const page = await browser.newPage({ baseURL: a.url, viewport: { width: 1400, height: 900 } });
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/containers$/);
  return { page, close: () => browser.close() };
}

const rowsAtLeast = (page: Browser["page"], selector: string, n: number) =>
  page.waitForFunction(([sel, count]) => document.querySelectorAll(sel as string).length >= (count as number), [selector, n] as const, { timeout: 300_000, polling: 100 });

/** The containers page with every container listed; then, once the batch is posted, its live page. */
async function containersPage(b: Browser, n: number): Promise<number> {
  const t = Date.now();
  await b.page.goto("/containers");
  await rowsAtLeast(b.page, '[data-testid="container-row"]', n);
  return Date.now() - t;
}

function watchLivePage(b: Browser, n: number, containersLoadMs: number, done: (p: PageFigures) => void) {
  return (id: string) => {
    const page = b.page;
    let stop = false;
    const delays: number[] = [];
    const work = (async () => {
      const t = Date.now();
      await page.goto(`/migrations/${id}`);
      await rowsAtLeast(page, 'tr[data-testid^="item-"]', n);
      const migrationLoadMs = Date.now() - t;
      await page.evaluate(() => {
        const w = window as unknown as { __long: number[] };
        w.__long = [];
        new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: "longtask" });
      });
      while (!stop) {
        delays.push(await page.evaluate(() => new Promise<number>((r) => { const s = performance.now(); requestAnimationFrame(() => r(performance.now() - s)); })));
        await sleep(1000);
      }
      return migrationLoadMs;
    })();
    return {
      ended: async (m: MigrationView) => {
        stop = true;
        const migrationLoadMs = await work;
        const done_ = m.counts.done ?? 0;
        await page.waitForFunction((count) => (document.querySelector('[data-testid="count-done"]')?.textContent ?? "").includes(String(count)), done_, { timeout: 120_000, polling: 100 });
        const caughtUpMs = Date.now() - Date.parse(m.finishedAt ?? new Date().toISOString());
        const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
        done({
          containersLoadMs,
          migrationLoadMs,
          frameDelayP95Ms: pct(delays, 95),
          frameDelayMaxMs: delays.length ? Math.max(...delays) : NaN,
          longestTaskMs: long.length ? Math.max(...long) : 0,
          longTasksTotalMs: long.reduce((x, y) => x + y, 0),
          caughtUpMs: Math.max(0, caughtUpMs),
        });
      },
    };
  };
}

const phaseMs = (p: PhaseView) => (p.endedAt ? Date.parse(p.endedAt) - Date.parse(p.startedAt) : NaN);

async function ferryRun(base: RunBase, a: Api, hosts: { a: string; b: string }, serverPid: number, browser: Browser | null): Promise<Run> {
  await removeBenchContainers();
  const names = await startCounters(N, `c${base.concurrency}r${base.repeat}`);
  await sleep(2500);
  const rssReset = resetPeakRss(serverPid);
  const acct = startAccounting(serverPid);
  let pages: PageFigures | undefined;
  const watch = browser ? watchLivePage(browser, N, await containersPage(browser, N), (p) => (pages = p)) : undefined;
  const { m, t0, postMs } = await migrate(a, hosts, names, base.concurrency, watch);
  const cpu = acct.stop();
  const wallMs = Date.parse(m.finishedAt ?? new Date().toISOString()) - t0;
  const rss = peakRssMiB(serverPid);
  await sleep(2000);
  const items: ItemFigures[] = m.items.map((i) => {
    const phasesMs: Record<string, number> = {};
    for (const p of i.phases) phasesMs[p.name] = (phasesMs[p.name] ?? 0) + phaseMs(p);
    const wall = i.startedAt && i.finishedAt ? Date.parse(i.finishedAt) - Date.parse(i.startedAt) : NaN;
    return { name: i.name, ok: i.status === "done", downtimeMs: i.downtimeMs ?? NaN, wallMs: wall, phasesMs };
  });
  // a container that did not move (rolled back, skipped) must still be counting on A, in its own log
  const counters = await checkCounters(m.items.map((i) => (i.status === "done" ? { name: i.name, ref: i.targetContainerId } : { name: i.name, ref: null, host: HOST_A })));
  await removeBenchContainers();
  const extra = m.items.filter((i) => i.status !== "done").map((i) => `${i.name} ${i.status}: ${i.error ?? ""}`.trim());
  if (m.status !== "done") extra.unshift(`batch ${m.status}`);
  if (!rssReset) console.log("# note: the server's peak RSS could not be reset; it covers the server's whole life");
  return { ...figures(base, items, wallMs, cpu, m.items.reduce((s, i) => s + i.bytesMoved, 0), counters, rss, extra), postMs, ...(pages ? { pages } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The server

async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 100; p++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(false));
      s.listen(p, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
  throw new Error(`no free port from ${from}`);
}

async function startServer(dir: string): Promise<{ child: ChildProcess; api: Api; logFile: string; password: string }> {
  if (!fs.existsSync(".next/BUILD_ID")) {
    console.log("# building the dashboard (.next/BUILD_ID missing)");
    await execFileP("npm", ["run", "build"], { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  }
  const databaseUrl = `file:${path.join(dir, "ferry.db")}`;
  process.env.DATABASE_URL = databaseUrl;
  const { migrateDatabase } = await import("@/lib/db/migrate");
  migrateDatabase(databaseUrl);
  const { createFirstUser } = await import("@/lib/auth/users");
  const { createApiToken } = await import("@/lib/auth/api-token");
  const { db } = await import("@/lib/db");
  const password = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  await createFirstUser("admin", password);
  const { token } = await createApiToken("bench");
  await db.$disconnect();

  const port = await freePort(PORT0);
  const logFile = path.join(dir, "server.log");
  const log = fs.openSync(logFile, "a");
  const a: Api = { url: `http://127.0.0.1:${port}`, token };
  const launch = () =>
    spawn("node_modules/.bin/tsx", ["--import", "./scripts/server-only-hook.mjs", "server.ts"], {
      env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), DATABASE_URL: databaseUrl, FERRY_REGISTER_LOCAL: "0" },
      stdio: ["ignore", log, log],
    });
  let child = launch();
  let relaunches = 0;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) {
      // someone's `next build` in this tree removes .next while it runs: wait for it, once or twice
      if (relaunches < 2 && /production build/.test(fs.readFileSync(logFile, "utf8"))) {
        relaunches++;
        console.log("# .next is being rebuilt; waiting for .next/BUILD_ID");
        while (!fs.existsSync(".next/BUILD_ID") && Date.now() < deadline) await sleep(2000);
        await sleep(3000);
        child = launch();
        continue;
      }
      throw new Error(`the server exited (${child.exitCode}): ${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    try {
      await api(a, "GET", "/api/v1/hosts");
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the server did not answer within 300 s: ${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
      await sleep(500);
    }
  }
  return { child, api: a, logFile, password };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Output

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "–");

const pagesText = (p: PageFigures) =>
  `containers page ${f1(p.containersLoadMs / 1000)} s, live page ${f1(p.migrationLoadMs / 1000)} s, frame delay p95/max ${f0(p.frameDelayP95Ms)}/${f0(p.frameDelayMaxMs)} ms, longest task ${f0(p.longestTaskMs)} ms (${f1(p.longTasksTotalMs / 1000)} s in long tasks), caught up ${f1(p.caughtUpMs / 1000)} s after the end`;

type Row = { kind: Run["kind"]; N: number; concurrency: number; runs: Run[] };

/** Median of every figure over a set's runs (valid ones when there are any). */
function summarize(row: Row) {
  const rs = row.runs.some((r) => r.valid) ? row.runs.filter((r) => r.valid) : row.runs;
  const med = (f: (r: Run) => number | null) => median(rs.map((r) => f(r) ?? NaN));
  const phaseNames = [...new Set(rs.flatMap((r) => Object.keys(r.phaseMedianMs)))].filter((p) => p !== "rollback");
  return {
    kind: row.kind,
    N: row.N,
    concurrency: row.concurrency,
    runs: row.runs.length,
    postMs: med((r) => r.postMs ?? NaN),
    pages: rs.find((r) => r.pages)?.pages,
    invalid: row.runs.filter((r) => !r.valid).length,
    wallS: med((r) => r.wallS),
    containersPerMin: med((r) => r.containersPerMin),
    p50: med((r) => r.downtimeMs.p50),
    p95: med((r) => r.downtimeMs.p95),
    max: med((r) => r.downtimeMs.max),
    phases: Object.fromEntries(phaseNames.map((p) => [p, med((r) => r.phaseMedianMs[p] ?? NaN)])),
    outside: med((r) => r.outsidePhasesMedianMs),
    cpu: Object.fromEntries((["machine", ...GROUPS] as const).map((g) => [g, med((r) => r.cpuSPerContainer[g])])) as Record<"machine" | Group, number>,
    otherTop: Object.entries(
      rs.reduce<Record<string, number>>((acc, r) => {
        for (const [n, v] of Object.entries(r.cpuOtherTopSPerContainer ?? {})) acc[n] = (acc[n] ?? 0) + v / rs.length;
        return acc;
      }, {}),
    )
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([n, v]) => `${n} ${v.toFixed(2)}`)
      .join(", "),
    mib: med((r) => r.bytesMoved / 1048576),
    rss: med((r) => r.serverPeakRssMiB),
    continued: rs.reduce((a, r) => a + r.counters.continued, 0),
    checked: rs.reduce((a, r) => a + r.counters.checked, 0),
  };
}
type Summary = ReturnType<typeof summarize>;

function rowsOf(runs: Run[]): Summary[] {
  const key = (r: Run) => `${r.kind}:${r.N}:${r.concurrency}`;
  const keys = [...new Set(runs.map(key))];
  return keys
    .map((k) => {
      const [kind, n, c] = k.split(":");
      return { kind: kind as Run["kind"], N: Number(n), concurrency: Number(c), runs: runs.filter((r) => key(r) === k) };
    })
    .sort((x, y) => (x.kind === y.kind ? x.N - y.N || x.concurrency - y.concurrency : x.kind === "baseline" ? -1 : 1))
    .map(summarize);
}

function table(head: string[], body: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), w.map((x) => "-".repeat(x)).join("  "), ...body.map(line)];
}
const label = (s: Summary) => (s.kind === "baseline" ? "baseline (CLI, 1 at a time)" : `Ferry c=${s.concurrency}`) + (s.N === N_OF_TABLE ? "" : `, ${s.N} containers`);
/** The N most rows of the table being printed have; rows of another N say theirs. */
let N_OF_TABLE = N;
const PHASE_ORDER = ["preflight", "image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup"];
const phaseText = (s: Summary) => PHASE_ORDER.filter((p) => p in s.phases).map((p) => `${p} ${f0(s.phases[p]!)}`).join(", ");

function report(rows: Summary[]): string[] {
  const base = rows.find((r) => r.kind === "baseline");
  const out: string[] = [];
  out.push(
    ...table(
      ["run", "runs", "wall s", "ctr/min", "×base", "downtime p50/p95/max ms", "outside phases ms", "CPU s/ctr", "×base", "MiB moved", "server peak RSS MiB", "counters continued"],
      rows.map((s) => [
        label(s),
        `${s.runs}${s.invalid ? ` (${s.invalid} INVALID)` : ""}`,
        f1(s.wallS),
        f1(s.containersPerMin),
        base && s !== base ? f2(s.containersPerMin / base.containersPerMin) : "",
        `${f0(s.p50)} / ${f0(s.p95)} / ${f0(s.max)}`,
        f0(s.outside),
        f2(s.cpu.machine),
        base && s !== base ? f2(s.cpu.machine / base.cpu.machine) : "",
        f2(s.mib),
        s.kind === "ferry" ? f0(s.rss) : "",
        `${s.continued}/${s.checked}`,
      ]),
    ),
  );
  out.push("");
  out.push(...table(["run", ...GROUPS.map((g) => `${g} s/ctr`), "largest in no group (mean s/ctr)"], rows.map((s) => [label(s), ...GROUPS.map((g) => f2(s.cpu[g])), s.otherTop])));
  out.push("");
  out.push(...table(["run", "per-phase medians ms"], rows.map((s) => [label(s), phaseText(s)])));
  return out;
}

// ---------------------------------------------------------------------------------------------
// docs/BENCHMARKS.md and its chart

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function chartSvg(rows: Summary[]): string {
  const ferry = rows.filter((r) => r.kind === "ferry").sort((a, b) => a.concurrency - b.concurrency);
  const base = rows.find((r) => r.kind === "baseline");
  const levels = [...new Set([1, ...ferry.map((r) => r.concurrency)])].sort((a, b) => a - b);
  const W = 420, H = 300, M = { l: 56, r: 40, t: 34, b: 46 };
  const panel = (x0: number, title: string, yLabel: string, series: { name: string; color: string; dash?: string; below?: boolean; pts: [number, number][] }[], flat: { name: string; color: string; y: number }[]) => {
    const ys = [...series.flatMap((s) => s.pts.map((p) => p[1])), ...flat.map((f) => f.y)].filter(Number.isFinite);
    const yMax = niceMax(Math.max(1, ...ys));
    const px = (c: number) => x0 + M.l + (levels.length === 1 ? 0.5 : levels.indexOf(c) / (levels.length - 1)) * (W - M.l - M.r);
    const py = (v: number) => M.t + (1 - v / yMax) * (H - M.t - M.b);
    const g: string[] = [`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      g.push(`<line x1="${x0 + M.l}" x2="${x0 + W - M.r}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`);
      g.push(`<text x="${x0 + M.l - 6}" y="${py(v) + 4}" text-anchor="end">${+v.toFixed(1)}</text>`);
    }
    for (const c of levels) g.push(`<text x="${px(c)}" y="${H - M.b + 16}" text-anchor="middle">${c}</text>`);
    g.push(`<text x="${x0 + M.l + (W - M.l - M.r) / 2}" y="${H - 10}" text-anchor="middle">concurrency (Ferry)</text>`);
    g.push(`<text transform="translate(${x0 + 14} ${M.t + (H - M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
    g.push(`<line x1="${x0 + M.l}" x2="${x0 + M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#888"/><line x1="${x0 + M.l}" x2="${x0 + W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#888"/>`);
    for (const f of flat) {
      if (!Number.isFinite(f.y)) continue;
      g.push(`<line x1="${x0 + M.l}" x2="${x0 + W - M.r}" y1="${py(f.y)}" y2="${py(f.y)}" stroke="${f.color}" stroke-width="2" stroke-dasharray="6 4"/>`);
      g.push(`<text x="${x0 + W - M.r - 4}" y="${py(f.y) + 16}" text-anchor="end" fill="${f.color}">${esc(f.name)} ${+f.y.toFixed(yMax < 10 ? 2 : 1)}</text>`);
    }
    for (const s of series) {
      const pts = s.pts.filter((p) => Number.isFinite(p[1]));
      if (!pts.length) continue;
      g.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${pts.map(([c, v]) => `${px(c)},${py(v)}`).join(" ")}"/>`);
      for (const [c, v] of pts) g.push(`<circle cx="${px(c)}" cy="${py(v)}" r="4" fill="${s.color}"><title>${esc(s.name)} c=${c}: ${v.toFixed(1)}</title></circle><text x="${px(c) + 6}" y="${py(v) + (s.below ? 16 : -7)}" fill="${s.color}">${+v.toFixed(yMax < 10 ? 2 : 1)}</text>`);
    }
    return g.join("\n");
  };
  const throughput = panel(0, "Throughput", "containers / min", [{ name: "Ferry", color: "#1f6feb", pts: ferry.map((r) => [r.concurrency, r.containersPerMin]) }], base ? [{ name: "baseline", color: "#cf222e", y: base.containersPerMin }] : []);
  const downtime = panel(
    W,
    "Downtime per container",
    "seconds",
    [
      { name: "Ferry p50", color: "#1f6feb", below: true, pts: ferry.map((r) => [r.concurrency, r.p50 / 1000]) },
      { name: "Ferry p95", color: "#1f6feb", dash: "3 3", pts: ferry.map((r) => [r.concurrency, r.p95 / 1000]) },
    ],
    base ? [{ name: "baseline p50", color: "#cf222e", y: base.p50 / 1000 }] : [],
  );
  const legend = `<g transform="translate(${M.l} ${H + 6})"><line x1="0" x2="24" y1="0" y2="0" stroke="#1f6feb" stroke-width="2.5"/><text x="30" y="4">Ferry (REST API; dashed: p95)</text><line x1="230" x2="254" y1="0" y2="0" stroke="#cf222e" stroke-width="2" stroke-dasharray="6 4"/><text x="260" y="4">baseline: docker CLI checkpoint, copy, start, one at a time</text></g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" viewBox="0 0 ${2 * W} ${H + 20}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="#fff"/>\n${throughput}\n${downtime}\n${legend}\n</svg>\n`;
}

function niceMax(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * e >= v * 1.08) return m * e;
  return 10 * e;
}

const ANALYSIS = "docs/bench/analysis.md";

function writeDoc(all: Run[]): void {
  const inv = [...new Set(all.map((r) => r.invocation))];
  const newestWith = (f: (r: Run) => boolean) => [...inv].reverse().find((i) => all.some((r) => r.invocation === i && f(r)));
  // The comparison: the newest invocation with the baseline in it (else the newest).
  const latest = newestWith((r) => r.kind === "baseline") ?? inv[inv.length - 1];
  if (!latest) throw new Error(`${RESULTS} has no runs`);
  const runs = all.filter((r) => r.invocation === latest);
  N_OF_TABLE = runs[0]!.N;
  const rows = rowsOf(runs);
  // At scale: the newest invocation measured with --pages.
  const scaleInv = newestWith((r) => r.pages !== undefined);
  const scale = scaleInv ? rowsOf(all.filter((r) => r.invocation === scaleInv && r.kind === "ferry")) : [];
  const analysis = fs.existsSync(ANALYSIS) ? fs.readFileSync(ANALYSIS, "utf8").trim() : "";
  fs.mkdirSync(path.dirname(CHART), { recursive: true });
  fs.writeFileSync(CHART, chartSvg(rows));
  const v = runs[0]!.versions;
  const base = rows.find((r) => r.kind === "baseline");
  const repeats = Math.max(...runs.map((r) => r.repeat));
  const md = (head: string[], body: string[][], align?: string[]) => [`| ${head.join(" | ")} |`, `|${head.map((_, i) => align?.[i] ?? (i === 0 ? "---" : "--:")).join("|")}|`, ...body.map((b) => `| ${b.join(" | ")} |`)];
  const lines = [
    "# Benchmarks",
    "",
    "<!-- Generated by `npm run bench -- … --doc` (scripts/bench.ts) from docs/bench/results.json; do not edit by hand. -->",
    "",
    `Measured ${latest.slice(0, 10)} on the lab (\`scripts/lab.sh\`: two Docker daemons on one machine, ${v.cpus} × ${v.cpuModel}; Docker ${v.docker.a} / ${v.docker.b}, CRIU ${v.criu.a} / ${v.criu.b}, kernel ${v.kernel}):`,
    `${runs[0]!.N} counter containers (\`ferry/counter:lab\`, \`--network none\`) moved from host A to host B per run, ${repeats} repeat${repeats > 1 ? "s" : ""}, medians over the repeats.`,
    "",
    "```sh",
    `flock /tmp/ferry-lab.lock npm run bench -- --containers ${runs[0]!.N} --concurrency ${[...new Set(runs.filter((r) => r.kind === "ferry").map((r) => r.concurrency))].join(",")}${base ? " --baseline" : ""}${repeats > 1 ? ` --repeat ${repeats}` : ""} --doc`,
    "```",
    "",
    "![Throughput and downtime against concurrency, Ferry against the baseline](bench/chart.svg)",
    "",
    ...md(
      ["run", "wall", "containers/min", "× baseline", "downtime p50 / p95 / max", "CPU s per container", "× baseline", "outside phases (median)", "moved per container", "server peak RSS", "counters continued"],
      rows.map((s) => [
        label(s) + (s.invalid ? ` (${s.invalid} of ${s.runs} runs INVALID)` : ""),
        `${f1(s.wallS)} s`,
        f1(s.containersPerMin),
        base && s !== base ? `${f2(s.containersPerMin / base.containersPerMin)}×` : "",
        `${f2(s.p50 / 1000)} / ${f2(s.p95 / 1000)} / ${f2(s.max / 1000)} s`,
        f2(s.cpu.machine),
        base && s !== base ? `${f2(s.cpu.machine / base.cpu.machine)}×` : "",
        `${f0(s.outside)} ms`,
        `${f0((s.mib * 1024) / runs[0]!.N)} KiB`,
        s.kind === "ferry" ? `${f0(s.rss)} MiB` : "",
        `${s.continued}/${s.checked}`,
      ]),
    ),
    "",
    ...(base
      ? rows
          .filter((r) => r.kind === "ferry")
          .map(
            (r) =>
              `- Ferry at concurrency ${r.concurrency}: ${f2(r.containersPerMin / base.containersPerMin)}× the baseline's throughput for ${f2(r.cpu.machine / base.cpu.machine)}× its CPU per container and ${f2(r.p50 / base.p50)}× its median downtime; pre-flight (${f1((r.phases.preflight ?? NaN) / 1000)} s, once per batch, before anything stops) is ${f0((100 * (r.phases.preflight ?? NaN)) / 1000 / r.wallS)}% of the wall time.`,
          )
      : []),
    "",
    ...(scale.length
      ? [
          `**At scale** (${scaleInv!.slice(0, 10)}, \`npm run bench -- --containers ${scale[0]!.N} --concurrency ${scale.map((r) => r.concurrency).join(",")} --pages\`): the POST that plans and records the batch, the server's peak RSS through the batch, and the pages measured in Chromium while it ran (the live page watched the whole batch).`,
          "",
          ...md(
            ["run", "POST (pre-flight + record)", "wall", "containers/min", "downtime p50 / p95", "server peak RSS", "containers page", "live page", "frame delay p95 / max", "longest task", "live page caught up", "counters continued"],
            scale.map((r) => [
              label(r),
              `${f2(r.postMs / 1000)} s`,
              `${f1(r.wallS)} s`,
              f1(r.containersPerMin),
              `${f2(r.p50 / 1000)} / ${f2(r.p95 / 1000)} s`,
              `${f0(r.rss)} MiB`,
              r.pages ? `${f1(r.pages.containersLoadMs / 1000)} s` : "–",
              r.pages ? `${f1(r.pages.migrationLoadMs / 1000)} s` : "–",
              r.pages ? `${f0(r.pages.frameDelayP95Ms)} / ${f0(r.pages.frameDelayMaxMs)} ms` : "–",
              r.pages ? `${f0(r.pages.longestTaskMs)} ms` : "–",
              r.pages ? `${f1(r.pages.caughtUpMs / 1000)} s after the end` : "–",
              `${r.continued}/${r.checked}`,
            ]),
          ),
          "",
        ]
      : []),
    ...(analysis ? [analysis, ""] : []),
    "**Where the CPU goes** (seconds per container; machine = all CPUs busy, from /proc/stat):",
    "",
    ...md(["run", "machine", ...GROUPS, "largest processes in no group"], rows.map((s) => [label(s), f2(s.cpu.machine), ...GROUPS.map((g) => f2(s.cpu[g])), s.otherTop || "–"])),
    "",
    "**Per phase** (medians, ms; Ferry's from the batch's item phases, the baseline's timed around each CLI call):",
    "",
    ...md(["run", ...PHASE_ORDER], rows.map((s) => [label(s), ...PHASE_ORDER.map((p) => (p in s.phases ? f0(s.phases[p]!) : ""))])),
    "",
    "## Method",
    "",
    "- **Ferry** is driven as a user drives it: the bench starts its own server (`tsx server.ts`, `NODE_ENV=production`, a temporary database prepared with an admin and an API token), registers both lab hosts with `POST /api/v1/hosts`, starts each batch with `POST /api/v1/migrations` (only `concurrency` set; keep-source off) and polls `GET /api/v1/migrations/{id}` every 500 ms until it ends. Wall time is from the POST to the batch's `finishedAt`, so it includes pre-flight. One unmeasured one-container batch first (and again after 9 minutes) keeps the CRIU capability probe in its cache, as on a dashboard in use; a cold probe adds its time to the first batch's pre-flight.",
    "- **Baseline** is the original lab report's method, per container, one after another, docker CLI only: `checkpoint create --checkpoint-dir <tmp>` on A, `create` on B, copy the checkpoint into B's `containers/<id>/checkpoints/`, `start --checkpoint` on B. Its downtime is checkpoint start → `start` returned; Ferry's is checkpoint start → the target's container inspected and running (that it stays up is checked 100 ms later, after the downtime).",
    "- **Runs alternate** baseline and Ferry (odd repeats baseline first, even ones last) on the same lab and the same N; every container is removed from both hosts before and after each run.",
    "- **Outside phases**: per container, from leaving `pending` to its end, minus the sum of its phases: the engine's bookkeeping between phases, and the time a prepared container (its target created) waits for a free downtime lane, and a verified one for the cleanup worker.",
    "- **CPU**: the machine's busy time (total − idle − iowait) over the run from `/proc/stat`; per group, utime+stime+cutime+cstime of every process from `/proc/<pid>/stat`, sampled every 200 ms so a process that exits mid-run counts under its own name; the part of a parent's cutime from children never sampled goes to the group of such children (a shim's are runc, the bench's are docker CLI calls). `node (server)` is the Ferry server; `runc/criu` includes the lab's criu loader (`ld-linux-x86-64`); `bench` is this script (its /proc sampling and, for the baseline, the copy); `other` is whatever no group explains (the counters, kernel threads, the rest of the machine).",
    "- **Counters**: after each run every container on B must be running, never restarted, and its log (which starts at the restore) must begin above 1 and count up by one; a run with a lost or restarted container is marked INVALID.",
    "- **Server peak RSS**: VmHWM of the server's processes, reset (`clear_refs` 5) before each run.",
    "- **Pages** (`--pages`): Debian's Chromium signed in as the admin. The containers page is timed from navigation until it shows a row for every container; the batch's live page from navigation (right after the POST answered) until it shows a row for every item. While the batch runs the bench asks the page for an animation frame every second and records how late it comes, and a `PerformanceObserver` records the main thread's long tasks (over 50 ms). \"Caught up\" is how long after the batch's `finishedAt` the page's done count showed the final figure. The browser is started by the bench, so its CPU counts under `bench` in those runs.",
    "",
    "## All runs",
    "",
    ...md(
      ["date", "kind", "N", "c", "wall s", "containers/min", "downtime p50 / p95 ms", "CPU s/ctr", "valid"],
      all.map((r) => [r.date.slice(0, 16).replace("T", " "), r.kind, String(r.N), r.kind === "ferry" ? String(r.concurrency) : "1", f1(r.wallS), f1(r.containersPerMin), `${f0(r.downtimeMs.p50)} / ${f0(r.downtimeMs.p95)}`, f2(r.cpuSPerContainer.machine), r.valid ? "yes" : `INVALID: ${esc(r.invalid.join("; ")).slice(0, 200)}`]),
    ),
    "",
  ];
  fs.writeFileSync(DOC_FILE, lines.join("\n"));
  console.log(`wrote ${DOC_FILE} and ${CHART} (from ${runs.length} runs of ${latest})`);
}

function loadResults(): Run[] {
  return fs.existsSync(RESULTS) ? (JSON.parse(fs.readFileSync(RESULTS, "utf8")) as Run[]) : [];
}

// ---------------------------------------------------------------------------------------------

async function versions(): Promise<Versions> {
  const status = await execFileP("bash", ["scripts/lab.sh", "status"]).then((r) => r.stdout, () => "");
  const criuOf = (h: "A" | "B") => new RegExp(`host ${h}:.*criu ([\\d.]+)`).exec(status)?.[1] ?? "?";
  return {
    docker: { a: await docker(HOST_A, ["version", "--format", "{{.Server.Version}}"]), b: await docker(HOST_B, ["version", "--format", "{{.Server.Version}}"]) },
    criu: { a: criuOf("A"), b: criuOf("B") },
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "?",
  };
}

async function main() {
  if (DOC_ONLY) {
    writeDoc(loadResults());
    return true;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-bench-"));
  const invocation = new Date().toISOString();
  let server: ChildProcess | null = null;
  let browser: Browser | null = null;
  const runs: Run[] = [];
  try {
    const v = await versions();
    console.log(`# Ferry benchmark: ${N} counters A→B per run; Ferry at concurrency ${LEVELS.join(",")}${BASELINE ? " and the CLI baseline" : ""}; ${REPEAT} repeat(s); ${v.cpus} CPUs, Docker ${v.docker.a}, CRIU ${v.criu.a}/${v.criu.b}, kernel ${v.kernel}`);
    await removeBenchContainers();
    const s = await startServer(dir);
    server = s.child;
    const serverPid = s.child.pid!;
    console.log(`# server on ${s.api.url} (log ${s.logFile})`);
    const reg = async (h: LabHost) => {
      const host = await api<{ id: string; healthStatus: string; healthError: string | null }>(s.api, "POST", "/api/v1/hosts", { name: h.name, endpoint: `unix://${h.sock}` }, [201]);
      if (host.healthStatus === "error") throw new Error(`${h.name} is down: ${host.healthError} (run: npm run lab)`);
      return host.id;
    };
    const hosts = { a: await reg(HOST_A), b: await reg(HOST_B) };
    browser = PAGES ? await openBrowser(s.api, s.password) : null;

    let warmedAt = 0;
    const warmUp = async () => {
      if (Date.now() - warmedAt < 9 * 60_000) return;
      await removeBenchContainers();
      const names = await startCounters(1, "warmup");
      const { m } = await migrate(s.api, hosts, names, 1);
      const pre = m.items[0]?.phases.find((p) => p.name === "preflight");
      console.log(`# warm-up batch: ${m.status}, pre-flight ${pre ? phaseMs(pre) : "?"} ms (CRIU probe cached from here on)`);
      if (m.status !== "done") throw new Error(`warm-up batch ${m.status}: ${m.items.map((i) => i.error).join("; ")}`);
      await removeBenchContainers();
      warmedAt = Date.now();
    };

    for (let r = 1; r <= REPEAT; r++) {
      const order: ("baseline" | number)[] = [...(BASELINE && r % 2 === 1 ? ["baseline" as const] : []), ...LEVELS, ...(BASELINE && r % 2 === 0 ? ["baseline" as const] : [])];
      for (const step of order) {
        const base = { date: new Date().toISOString(), invocation, repeat: r, N, versions: v };
        let run: Run;
        if (step === "baseline") {
          run = await baselineRun({ ...base, kind: "baseline", concurrency: 1 });
        } else {
          await warmUp();
          run = await ferryRun({ ...base, kind: "ferry", concurrency: step }, s.api, hosts, serverPid, browser);
        }
        runs.push(run);
        console.log(
          `# repeat ${r}: ${run.kind}${run.kind === "ferry" ? ` c=${run.concurrency}` : ""}: ${f1(run.wallS)} s, ${f1(run.containersPerMin)}/min, downtime p50 ${f0(run.downtimeMs.p50)} ms, CPU ${f2(run.cpuSPerContainer.machine)} s/ctr, counters ${run.counters.continued}/${run.counters.checked}${run.postMs !== undefined ? `, POST ${run.postMs} ms, peak RSS ${f0(run.serverPeakRssMiB ?? NaN)} MiB` : ""}${run.pages ? `, pages: ${pagesText(run.pages)}` : ""}${run.valid ? "" : `  INVALID: ${run.invalid.join("; ")}`}`,
        );
        fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
        fs.writeFileSync(RESULTS, `${JSON.stringify([...loadResults(), run], null, 1)}\n`);
      }
    }
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) await stopServer(server);
    await removeBenchContainers().catch((err) => console.error("cleanup failed:", err));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log("");
  for (const l of report(rowsOf(runs))) console.log(l);
  if (runs.some((r) => !r.valid)) console.log("\nINVALID runs (a container lost, restarted or not moved): see above");
  console.log(`\nappended ${runs.length} run(s) to ${RESULTS}`);
  if (DOC) writeDoc(loadResults());
  return runs.every((r) => r.valid);
}

main().then(
  (valid) => process.exit(valid ? 0 : 3), // 3: the figures are there, but some run is INVALID
  (err) => {
    console.error("bench failed:", err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
