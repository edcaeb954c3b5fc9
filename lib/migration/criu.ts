import "server-only";
import { db } from "@/lib/db";
import { DockerError } from "@/lib/docker/errors";
import { call, checkpoint, checkpointsDir, removeContainer, startFromCheckpoint, type Side } from "@/lib/migration/docker-ops";
import { containerLogs, createTool, readHostBytes, readHostFile } from "@/lib/migration/probe";
import { RestoreCopies } from "@/lib/migration/restore-copies";
import { CAPABILITY_LABELS, CRIU_CAPABILITIES, criuHint, firstCriuError, type CriuCapability, type CriuProbe } from "@/lib/migration/criu-log";

export { CRIU_CAPABILITIES, type CriuCapability, type CriuProbe };

/**
 * CRIU as a host runs it (through runc, under the Docker daemon): what it can checkpoint, and
 * why it failed when it did, in CRIU's own words.
 */

/** Checkpoints name the log as "path= <file>", restores as "log file: <file>". */
const LOG_PATH = /(?:path=|log file:)\s*(\/\S+?\.log)/;

/** A checkpoint or restore that CRIU refused, with CRIU's own first error line and the fix if known. */
export class CriuFailure extends DockerError {
  constructor(
    cause: DockerError,
    host: string,
    message: string,
    readonly criuLine: string | null,
    readonly hint: string | null,
  ) {
    super(cause.code, message, host, cause.status, cause.dockerMessage);
    this.name = "CriuFailure";
  }
}

/**
 * When a checkpoint or restore fails, Docker says only "runc did not terminate successfully …
 * criu failed: type NOTIFY errno 0 path= <log>". This reads that log on the host (a never-started
 * helper, Engine API only) and returns an error that carries CRIU's first real error line.
 */
async function explainCriuFailure(side: Side, err: unknown, what: "checkpoint" | "restore"): Promise<unknown> {
  if (!(err instanceof DockerError)) return err;
  const text = err.dockerMessage ?? err.message;
  if (what === "checkpoint" && /invalid task checkpoint option for io\.containerd\.runc\.v2/.test(text)) {
    // Docker 20.10 remembers in memory only which containers run on the v2 runtime (moby#41546):
    // after its daemon restarted with live-restore, the containers it found running cannot be
    // checkpointed until they are restarted. Nothing stopped.
    return new DockerError(
      err.code,
      `${side.host.name}'s Docker cannot checkpoint this container: it was already running when its daemon last restarted, and Docker ${side.dockerVersion || "(version unknown)"} loses the runtime options of such containers (moby#41531); restart the container once (its memory state starts afresh) or upgrade Docker. Docker said: ${shortDockerMessage(text)}`,
      side.host.name,
      err.status,
      err.dockerMessage,
    );
  }
  if (!/criu|runc did not terminate/i.test(text)) return err;
  const path = LOG_PATH.exec(text)?.[1];
  let detail: string;
  let line: string | null = null;
  let hint: string | null = null;
  if (!path) detail = "the daemon named no CRIU log";
  else {
    const log = await readHostFile(side, path).catch((e: unknown) => {
      console.warn(`[ferry] reading CRIU's log ${path} on ${side.host.name} failed:`, e);
      return null;
    });
    line = log === null ? null : firstCriuError(log);
    detail = log === null ? `CRIU's log ${path} is already gone on the host` : line ? `CRIU: ${line}` : `CRIU's log ${path} has no error line`;
    hint = line ? criuHint(line, side.kernel) : null;
    if (hint) detail += ` (CRIU ${hint})`;
  }
  return new CriuFailure(err, side.host.name, `${what} failed: ${detail}. Docker said: ${shortDockerMessage(text)}`, line, hint);
}

function shortDockerMessage(text: string): string {
  return text.replace(/\s*(?:path=|log file:)\s*\S+/, "").replace(/: unknown$/, "").replace(/^.*?: (Cannot (?:checkpoint|restore))/, "$1").slice(0, 300);
}

export async function checkpointExplained(side: Side, id: string, checkpointId: string, memoryBytes = 0): Promise<void> {
  try {
    await checkpoint(side, id, checkpointId, memoryBytes);
  } catch (err) {
    throw await explainCriuFailure(side, err, "checkpoint");
  }
}

export async function restoreExplained(side: Side, id: string, checkpointId: string, attempts?: number, checkpointBytes = 0): Promise<number> {
  try {
    return await startFromCheckpoint(side, id, checkpointId, attempts, checkpointBytes);
  } catch (err) {
    throw await explainCriuFailure(side, err, "restore");
  }
}

// ---------------------------------------------------------------------------------------------
// The capability probe: a container of Ferry's probe tool holding what real servers hold (a
// listening TCP socket, a TCP connection with both ends inside, a unix socket, a pipe, an open
// file, a second thread) is checkpointed and restored on the host, and must go on working.

const probeCache = new Map<string, CriuProbe>();
const PROBE_TTL_MS = 10 * 60_000;
const inFlight = new Map<string, Promise<CriuProbe>>();

const cacheKey = (side: Side) => `${side.host.id}|${side.host.endpoint}`;

/** Forgets cached results (a host's CRIU changed). */
export function forgetCriuProbe(hostId?: string): void {
  for (const k of [...probeCache.keys()]) if (!hostId || k.startsWith(`${hostId}|`)) probeCache.delete(k);
}

/** The host's CRIU capabilities, probed at most once per 10 minutes per host. */
export async function probeCriu(side: Side, opts: { fresh?: boolean } = {}): Promise<CriuProbe & { cached: boolean }> {
  const key = cacheKey(side);
  const hit = probeCache.get(key);
  if (!opts.fresh && hit && Date.now() - Date.parse(hit.checkedAt) < PROBE_TTL_MS) return { ...hit, cached: true };
  let p = inFlight.get(key);
  if (!p) {
    p = runProbe(side).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  const result = await p;
  probeCache.set(key, result);
  return { ...result, cached: false };
}

/** The host's CRIU probe (cached), its result kept on the host's row for the hosts page. */
export async function hostCriu(side: Side, opts: { fresh?: boolean } = {}): Promise<CriuProbe> {
  const probe = await probeCriu(side, opts);
  const stored: CriuProbe = { ok: probe.ok, checkedAt: probe.checkedAt, kernel: probe.kernel, durationMs: probe.durationMs, error: probe.error, capabilities: probe.capabilities };
  if (!probe.cached) await db.host.update({ where: { id: side.host.id }, data: { criuProbe: JSON.stringify(stored), criuProbedAt: new Date(stored.checkedAt) } });
  return stored;
}

async function runProbe(side: Side): Promise<CriuProbe> {
  const t0 = Date.now();
  const base = { checkedAt: new Date().toISOString(), kernel: side.kernel };
  const done = (r: Omit<CriuProbe, "checkedAt" | "kernel" | "durationMs">): CriuProbe => ({ ...base, ...r, durationMs: Date.now() - t0 });
  if (!side.experimental) {
    const error = "experimental mode is off (checkpoint is an experimental API): set \"experimental\": true in the daemon's daemon.json";
    return done({ ok: false, error, capabilities: CRIU_CAPABILITIES.map((name) => ({ name, ok: false, error })) });
  }
  if (side.architecture && side.architecture !== "x86_64") {
    const error = `the CRIU probe runs on x86_64 only (host is ${side.architecture})`;
    return done({ ok: false, error, capabilities: CRIU_CAPABILITIES.map((name) => ({ name, ok: false, error })) });
  }
  const all = await probeFeatures(side, ["all"]);
  if (all.ok) return done({ ok: true, capabilities: CRIU_CAPABILITIES.map((name) => ({ name, ok: true })) });
  // Something failed: probe each capability alone to name the ones that do not work.
  const capabilities: CriuProbe["capabilities"] = [];
  for (const name of CRIU_CAPABILITIES) {
    const r = await probeFeatures(side, [name]);
    capabilities.push(r.ok ? { name, ok: true } : { name, ok: false, error: r.error, ...(r.hint ? { hint: r.hint } : {}) });
  }
  const failed = capabilities.filter((c) => !c.ok);
  // Nothing at all restores (a daemon whose restore is broken, whatever the process holds): say that once.
  const error =
    failed.length === capabilities.length
      ? `checkpoint/restore does not work on ${side.host.name} (Docker ${side.dockerVersion}) at all: ${all.ok ? "" : all.error.replace(/[0-9a-f]{12,64}/g, "<id>")}`
      : failed.length
        ? summarize(side.host.name, failed)
        : `CRIU on ${side.host.name} failed the combined probe: ${all.ok ? "" : all.error}`;
  return done({ ok: false, error, capabilities: failed.length ? capabilities : CRIU_CAPABILITIES.map((name) => ({ name, ok: false, error: all.error })) });
}

/** "CRIU on host-a cannot dump TCP/UDP sockets on kernel 6.18: CRIU 4.2 or newer is needed (tcp-listen, tcp-established)". */
export function summarize(host: string, failed: CriuProbe["capabilities"]): string {
  const byHint = new Map<string, string[]>();
  for (const c of failed) {
    const key = c.hint ? `CRIU on ${host} ${c.hint}` : `CRIU on ${host} cannot handle a ${CAPABILITY_LABELS[c.name]}: ${c.error}`;
    byHint.set(key, [...(byHint.get(key) ?? []), c.name]);
  }
  return [...byHint].map(([text, names]) => `${text} (${names.join(", ")})`).join("; ");
}

export const ticks = (stdout: string) => [...stdout.matchAll(/^tick (\d+)/gm)].map((m) => Number(m[1]));

/** Waits until the probe tool's output passes `test`; throws on its "broken"/"setup-failed" lines or its end. */
export async function waitForOutput(side: Side, id: string, test: (stdout: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await containerLogs(side, id);
    const broken = /^(broken|setup-failed) .*$/m.exec(stdout);
    if (broken) throw new Error(broken[0]);
    if (test(stdout)) return stdout;
    const state = (await call(side, () => side.docker.getContainer(id).inspect())).State;
    if (!state.Running) throw new Error(`the probe process ended (exit ${state.ExitCode}) ${what}`);
    if (Date.now() > end) throw new Error(`the probe did not ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One probe container: set up, checkpoint, restore on the same host, still working afterwards. */
type FeatureResult = { ok: true } | { ok: false; error: string; hint?: string };

const failure = (side: Side, err: unknown): FeatureResult => ({
  ok: false,
  error: err instanceof Error ? err.message.replace(`${side.host.name}: `, "") : String(err),
  ...(err instanceof CriuFailure && err.hint ? { hint: err.hint } : {}),
});

async function probeFeatures(side: Side, features: string[]): Promise<FeatureResult> {
  const c = await createTool(side, ["hold", ...features], "criu-probe");
  const cp = "ferry-probe";
  let checkpointed = false;
  try {
    await call(side, () => c.start());
    const before = await waitForOutput(side, c.id, (out) => ticks(out).length > 0, "start ticking");
    try {
      await checkpointExplained(side, c.id, cp);
    } catch (err) {
      return failure(side, err);
    }
    checkpointed = true;
    const last = Math.max(...ticks(before));
    try {
      await restoreExplained(side, c.id, cp, 10);
    } catch (err) {
      return failure(side, err);
    }
    // The restored process goes on from its own memory, and every channel still carries bytes.
    await waitForOutput(side, c.id, (out) => ticks(out).some((n) => n > last) && ticks(out).length > ticks(before).length, "tick again after restore");
    return { ok: true };
  } catch (err) {
    return failure(side, err);
  } finally {
    // The copy containerd 1.6 keeps of the restored probe (lib/migration/restore-copies.ts).
    const restored = checkpointed ? await readHostBytes(side, `${checkpointsDir(side, c.id)}/${cp}/inventory.img`).catch(() => null) : null;
    const copies = new RestoreCopies(side, "criu-probe");
    if (restored) copies.add(restored);
    await Promise.allSettled([removeContainer(side, c.id), copies.settle()]);
  }
}
