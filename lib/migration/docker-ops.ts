import "server-only";
import { randomUUID } from "node:crypto";
import { PassThrough, Transform, type Readable } from "node:stream";
import type Docker from "dockerode";
import { dockerCall, dockerFor, type HostConnection } from "@/lib/docker/client";
import { DockerError } from "@/lib/docker/errors";
import type { CgroupLayout } from "@/lib/migration/cgroup-memory";
import { oneFileTar, TarFileSniffer, tarHeader } from "@/lib/migration/tar";

/**
 * Every Docker call a migration makes, through the Engine API only. Streams go end to end
 * (source response piped into target request); no checkpoint is ever held in memory whole.
 */

export type HostSide = HostConnection & { id: string };

/**
 * How long a migration waits on a host. A host that stops answering (a frozen or dead daemon)
 * must not keep a stopped container waiting: every call has `callMs`, a stream that carries no
 * byte for `idleMs` is abandoned, and checkpoint/restore get `callMs` plus time for their size.
 */
export type Limits = { callMs: number; idleMs: number };
const DEFAULT_LIMITS: Limits = { callMs: 30_000, idleMs: 30_000 };
/** The slowest CRIU dump/restore rate assumed when sizing a checkpoint or restore timeout (bytes/s). */
const CRIU_MIN_RATE = 10 * 1024 * 1024;

/** A host opened for a migration, with the facts of one `/info` call. */
export type Side = {
  host: HostSide;
  docker: Docker;
  rootDir: string;
  memTotal: number;
  architecture: string;
  experimental: boolean;
  kernel: string;
  /** The daemon's version ("20.10.24+dfsg1"). */
  dockerVersion: string;
  /** How the daemon lays out container cgroups (where their memory is read). */
  cgroup: CgroupLayout;
  limits: Limits;
};

export const HELPER_LABEL = "ferry.helper";
/** On every target container Ferry creates: the migration item that made it. */
export const ITEM_LABEL = "ferry.migration.item";
/** The socket-level limit of the client; each call has its own, shorter one (Limits). */
const LONG_MS = 10 * 60_000;

export async function openSide(host: HostSide, limits: Limits = DEFAULT_LIMITS): Promise<Side> {
  const docker = dockerFor(host, { timeoutMs: LONG_MS });
  const info = (await dockerCall(host.name, limits.callMs, () => docker.info())) as {
    DockerRootDir?: string;
    ExperimentalBuild?: boolean;
    MemTotal?: number;
    Architecture?: string;
    KernelVersion?: string;
    ServerVersion?: string;
    CgroupDriver?: string;
    CgroupVersion?: string;
  };
  if (!info.DockerRootDir) throw new DockerError("DOCKER", "the daemon did not report its DockerRootDir", host.name);
  return {
    host,
    docker,
    rootDir: info.DockerRootDir,
    memTotal: Number(info.MemTotal ?? 0),
    architecture: info.Architecture ?? "",
    experimental: Boolean(info.ExperimentalBuild),
    kernel: info.KernelVersion ?? "",
    dockerVersion: info.ServerVersion ?? "",
    cgroup: { driver: info.CgroupDriver ?? "cgroupfs", version: info.CgroupVersion ?? "1" },
    limits,
  };
}

/** dockerode has the checkpoint calls; its type definitions do not. */
type CheckpointApi = {
  createCheckpoint(opts: { CheckpointID: string; Exit: boolean }): Promise<unknown>;
  listCheckpoint(opts?: object): Promise<{ Name: string }[] | null>;
  deleteCheckpoint(checkpointId: string, opts?: object): Promise<unknown>;
};
const cp = (c: Docker.Container) => c as Docker.Container & CheckpointApi;

export const call = <T>(side: Side, fn: () => Promise<T>, ms = side.limits.callMs) => dockerCall(side.host.name, ms, fn);

/** The time a checkpoint or restore of about `bytes` may take on this host. */
const criuMs = (side: Side, bytes: number) => side.limits.callMs + Math.ceil((Math.max(0, bytes) / CRIU_MIN_RATE) * 1000);

/**
 * Streams `source` into `sink(counted)`: resolves with the bytes moved, or rejects when no byte
 * flowed for `idleMs` (a host that froze mid-stream), destroying the stream so nothing dangles.
 */
async function streamWithin<T>(side: Side, source: Readable, sink: (counted: Readable) => Promise<T>, onBytes: (n: number) => void = () => undefined): Promise<{ bytes: number; result: T }> {
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let idle: (e: Error) => void = () => undefined;
  const stalled = new Promise<never>((_, reject) => (idle = reject));
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const err = new DockerError("TIMEOUT", `the transfer stalled: no data for ${Math.round(side.limits.idleMs / 1000)} s`, side.host.name);
      source.destroy(err);
      counted.destroy(err);
      idle(err);
    }, side.limits.idleMs);
  };
  const counted = source.pipe(
    byteCounter((n) => {
      bytes += n;
      onBytes(n);
      arm();
    }),
  );
  arm();
  try {
    const result = await Promise.race([sink(counted), stalled]);
    return { bytes, result };
  } finally {
    clearTimeout(timer);
  }
}

/** Counts bytes flowing through a stream. */
function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

export async function inspect(side: Side, id: string): Promise<Docker.ContainerInspectInfo> {
  return call(side, () => side.docker.getContainer(id).inspect());
}

export async function inspectOrNull(side: Side, id: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await inspect(side, id);
  } catch (err) {
    if (err instanceof DockerError && err.code === "NOT_FOUND") return null;
    throw err;
  }
}

/** The id of an image on a host, or null when it has none by that reference. */
export async function imageId(side: Side, ref: string): Promise<string | null> {
  try {
    return (await call(side, () => side.docker.getImage(ref).inspect())).Id;
  } catch (err) {
    if (err instanceof DockerError && err.code === "NOT_FOUND") return null;
    throw err;
  }
}

/**
 * Makes the source container's image present on the target: `GET /images/{ref}/get` streamed into
 * `POST /images/load`. Returns the reference to create the target with, and the bytes moved.
 */
export async function syncImage(src: Side, tgt: Side, name: string, id: string): Promise<{ ref: string; bytes: number; loaded: boolean }> {
  const byName = await imageId(tgt, name);
  if (byName === id) return { ref: name, bytes: 0, loaded: false };
  if (!byName && (await imageId(tgt, id))) return { ref: id, bytes: 0, loaded: false };
  // Save by name when the name still means this image on the source (keeps the tag), else by id.
  const ref = (await imageId(src, name)) === id ? name : id;
  const out = (await call(src, () => src.docker.getImage(ref).get())) as Readable;
  const { bytes, result: res } = await streamWithin(tgt, out, (counted) => call(tgt, () => tgt.docker.loadImage(counted, { quiet: true }), LONG_MS) as Promise<Readable>);
  const text = await streamText(res);
  const err = /"error(?:Detail)?"\s*:\s*"([^"]+)"/.exec(text);
  if (err) throw new DockerError("DOCKER", `image load failed: ${err[1]}`, tgt.host.name);
  const loadedId = await imageId(tgt, ref);
  if (loadedId !== id) throw new DockerError("DOCKER", `image ${ref} is not on the target after loading it`, tgt.host.name);
  return { ref: ref === name && byName && byName !== id ? id : ref, bytes, loaded: true };
}

/** A whole (small) response stream. */
export async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks);
}

const streamText = async (s: Readable) => (await readAll(s)).toString("utf8");

/** The create options of a copy of `c` on another host: the same config, mounts, limits, networks. */
export function targetCreateOptions(c: Docker.ContainerInspectInfo, name: string, imageRef: string): Docker.ContainerCreateOptions {
  const cfg = c.Config;
  const hc = c.HostConfig as Docker.HostConfig & Record<string, unknown>;
  const networkMode = hc.NetworkMode ?? "default";
  const endpoints: Record<string, { Aliases?: string[] }> = {};
  for (const [net, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    if (["bridge", "host", "none", "default"].includes(net)) continue;
    endpoints[net] = { Aliases: ((ep.Aliases ?? []) as string[]).filter((a) => a !== c.Id.slice(0, 12)) };
  }
  const keep = <K extends string>(obj: Record<string, unknown>, keys: K[]) =>
    Object.fromEntries(keys.filter((k) => obj[k] !== undefined && obj[k] !== null).map((k) => [k, obj[k]]));
  return {
    name,
    Image: imageRef,
    Hostname: cfg.Hostname,
    Domainname: cfg.Domainname,
    User: cfg.User,
    Env: cfg.Env,
    Cmd: cfg.Cmd,
    Entrypoint: cfg.Entrypoint as string[] | undefined,
    WorkingDir: cfg.WorkingDir,
    Labels: cfg.Labels,
    Tty: cfg.Tty,
    OpenStdin: cfg.OpenStdin,
    StdinOnce: cfg.StdinOnce,
    AttachStdin: cfg.AttachStdin,
    AttachStdout: cfg.AttachStdout,
    AttachStderr: cfg.AttachStderr,
    ExposedPorts: cfg.ExposedPorts,
    StopSignal: (cfg as { StopSignal?: string }).StopSignal,
    Healthcheck: (cfg as { Healthcheck?: Docker.HealthConfig }).Healthcheck,
    Volumes: cfg.Volumes as Record<string, object> | undefined,
    HostConfig: keep(hc, [
      "Binds",
      "Mounts",
      "NetworkMode",
      "RestartPolicy",
      "Memory",
      "MemorySwap",
      "MemoryReservation",
      "NanoCpus",
      "CpuShares",
      "CpuQuota",
      "CpuPeriod",
      "CpusetCpus",
      "CpusetMems",
      "BlkioWeight",
      "PidsLimit",
      "Ulimits",
      "CapAdd",
      "CapDrop",
      "Privileged",
      "ReadonlyRootfs",
      "Tmpfs",
      "ShmSize",
      "SecurityOpt",
      "ExtraHosts",
      "Dns",
      "DnsOptions",
      "DnsSearch",
      "LogConfig",
      "Init",
      "IpcMode",
      "UTSMode",
      "UsernsMode",
      "Sysctls",
      "OomScoreAdj",
      "Devices",
      "GroupAdd",
      "PortBindings",
    ]) as Docker.HostConfig,
    NetworkingConfig: Object.keys(endpoints).length && networkMode !== "none" ? { EndpointsConfig: endpoints } : undefined,
  };
}

export async function createContainer(side: Side, opts: Docker.ContainerCreateOptions): Promise<string> {
  const c = await call(side, () => side.docker.createContainer(opts));
  return c.id;
}

const TRANSIENT_CHECKPOINT = /unable to freeze|pause failed/i;

/**
 * Checkpoints into the container's own checkpoints/ directory and stops it (Exit: true). Under
 * load the cgroup freezer can time out ("OCI runtime pause failed: unable to freeze") before
 * anything stopped; that is retried while the container still runs.
 */
export async function checkpoint(side: Side, id: string, checkpointId: string, memoryBytes = 0, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call(side, () => cp(side.docker.getContainer(id)).createCheckpoint({ CheckpointID: checkpointId, Exit: true }), criuMs(side, memoryBytes));
      return;
    } catch (err) {
      const text = err instanceof DockerError ? (err.dockerMessage ?? err.message) : String(err);
      if (attempt >= attempts || !TRANSIENT_CHECKPOINT.test(text)) throw err;
      const now = await inspectOrNull(side, id);
      if (!now?.State.Running || now.State.Paused) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/**
 * A bind mount of a host directory that leaves out the mounts below it (BindOptions.NonRecursive,
 * API 1.40; not in dockerode's types). Under `<DockerRootDir>/containers` are the /dev/shm mounts of
 * every running container: a recursive bind would mount each of them again on every archive call.
 */
export const bindOnly = (source: string, target: string): Docker.MountSettings =>
  ({ Type: "bind", Source: source, Target: target, BindOptions: { NonRecursive: true } }) as unknown as Docker.MountSettings;

export const checkpointsDir = (side: Side, containerId: string) => `${side.rootDir}/containers/${containerId}/checkpoints`;

/**
 * Streams the checkpoint from the source container's checkpoints/ directory into the target
 * container's: a source helper's archive GET piped into a target helper's archive PUT. Each helper
 * mounts its host's `<DockerRootDir>/containers` at `mount` (lib/migration/helper-pool.ts).
 * Returns the bytes sent; `onInventory` gets CRIU's inventory.img as soon as it has gone by, even
 * if the transfer fails later (lib/migration/restore-copies.ts).
 */
export async function transferCheckpoint(
  from: { side: Side; helper: Docker.Container; containerId: string },
  to: { side: Side; helper: Docker.Container; containerId: string },
  mount: string,
  checkpointId: string,
  onBytes: (n: number) => void = () => undefined,
  onInventory: (inventory: Buffer) => void = () => undefined,
): Promise<number> {
  // Both requests at once: each archive call starts a process in its daemon (tens of ms), and
  // the target's need not wait for the source's first byte to start its own. A request body is
  // sent only once it has a byte, so the target's archive opens with the checkpoint directory's
  // own entry (the source's archive carries it again; extracting a directory twice is harmless).
  const pipe = new PassThrough();
  const opening = tarHeader(`${checkpointId}/`, 0, 0o700, "5");
  const inventory = new TarFileSniffer("inventory.img", 4096);
  pipe.write(opening);
  let tar: Readable | undefined;
  const getting = call(from.side, () => from.helper.getArchive({ path: `${mount}/${from.containerId}/checkpoints/${checkpointId}` })).then(
    (res) => {
      tar = res as unknown as Readable;
      tar.on("error", (e) => pipe.destroy(e));
      tar.on("data", (chunk: Buffer) => {
        if (inventory.found) return;
        inventory.push(chunk);
        if (inventory.found) onInventory(inventory.found);
      });
      tar.pipe(pipe);
    },
    (err: unknown) => {
      pipe.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    },
  );
  const [got, put] = await Promise.allSettled([
    getting,
    streamWithin(to.side, pipe, (counted) => call(to.side, () => to.helper.putArchive(counted, { path: `${mount}/${to.containerId}/checkpoints` }), LONG_MS), onBytes),
  ]);
  if (got.status === "rejected") throw got.reason; // the source's own words, not the broken pipe's
  if (put.status === "rejected") {
    tar?.destroy();
    throw put.reason;
  }
  return put.value.bytes - opening.length;
}

/** Copies one path from a container to the same path in another (archive GET piped into PUT). */
async function copyPath(src: Side, srcId: string, tgt: Side, tgtId: string, path: string, onBytes: (n: number) => void): Promise<number> {
  const parent = path.replace(/\/[^/]+\/?$/, "") || "/";
  const tar = (await call(src, () => src.docker.getContainer(srcId).getArchive({ path }))) as unknown as Readable;
  const { bytes } = await streamWithin(tgt, tar, (counted) => call(tgt, () => tgt.docker.getContainer(tgtId).putArchive(counted, { path: parent }), LONG_MS), onBytes);
  return bytes;
}

const MANAGED = ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev", "/proc", "/sys"];
const under = (p: string, root: string) => p === root || p.startsWith(root.endsWith("/") ? root : `${root}/`);

/**
 * The paths to copy so the target's filesystem matches the source's: the top-most added paths
 * and the modified leaves, outside mounts and Docker-managed files. Pure.
 */
export function changedPaths(changes: { Path: string; Kind: number }[], mountPoints: string[]): { copy: string[]; deleted: string[] } {
  const skip = (p: string) => MANAGED.some((m) => under(p, m)) || mountPoints.some((m) => under(p, m));
  const added = new Set(changes.filter((c) => c.Kind === 1).map((c) => c.Path));
  const all = changes.map((c) => c.Path);
  const copy: string[] = [];
  for (const c of changes) {
    if (skip(c.Path)) continue;
    if (c.Kind === 1) {
      const parentAdded = [...added].some((a: string) => a !== c.Path && under(c.Path, a));
      if (!parentAdded) copy.push(c.Path);
    } else if (c.Kind === 0) {
      const isParent = all.some((p) => p !== c.Path && under(p, c.Path));
      if (!isParent) copy.push(c.Path);
    }
  }
  const deleted = changes.filter((c) => c.Kind === 2 && !skip(c.Path)).map((c) => c.Path);
  return { copy: copy.sort(), deleted };
}

/** Docker answers "null" (which dockerode hands over as a Buffer) where a list is empty. */
function asJsonArray<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  if (Buffer.isBuffer(value)) {
    const parsed: unknown = JSON.parse(value.toString("utf8") || "null");
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  }
  return [];
}

/** Copies the container's own file changes and the contents of its volumes. */
export async function copyFilesystem(
  src: Side,
  srcInfo: Docker.ContainerInspectInfo,
  tgt: Side,
  tgtId: string,
  onBytes: (n: number) => void = () => undefined,
): Promise<{ bytes: number; files: number; volumes: number; deleted: string[] }> {
  const mounts = (srcInfo.Mounts ?? []) as { Type?: string; Destination: string }[];
  const changes = asJsonArray<{ Path: string; Kind: number }>(await call(src, () => src.docker.getContainer(srcInfo.Id).changes()));
  const { copy, deleted } = changedPaths(
    changes,
    mounts.map((m) => m.Destination),
  );
  let bytes = 0;
  for (const p of copy) bytes += await copyPath(src, srcInfo.Id, tgt, tgtId, p, onBytes);
  const volumes = mounts.filter((m) => m.Type === "volume");
  for (const v of volumes) bytes += await copyPath(src, srcInfo.Id, tgt, tgtId, v.Destination, onBytes);
  return { bytes, files: copy.length, volumes: volumes.length, deleted };
}

const TRANSIENT_RESTORE = /already exists|content sha256:.*exists/i;

/** `start?checkpoint=`, retrying containerd's transient "already exists" (moby#42900). */
export async function startFromCheckpoint(side: Side, id: string, checkpointId: string, attempts = 6, checkpointBytes = 0): Promise<number> {
  let refreshed = false;
  for (let attempt = 1; ; attempt++) {
    try {
      await call(side, () => side.docker.getContainer(id).start({ _query: { checkpoint: checkpointId }, _body: {} } as object), criuMs(side, checkpointBytes));
      return attempt;
    } catch (err) {
      const msg = err instanceof DockerError ? (err.dockerMessage ?? err.message) : String(err);
      if (!TRANSIENT_RESTORE.test(msg)) throw err;
      if (attempt >= attempts) {
        if (refreshed) throw err;
        // Not transient after all: give the checkpoint other bytes, then try once more.
        await freshDigest(side, id, checkpointId);
        refreshed = true;
      }
      await new Promise((r) => setTimeout(r, 250 * Math.min(attempt, 4)));
    }
  }
}

/**
 * moby uploads a checkpoint to containerd before restoring it, and fails if containerd already
 * holds content with the same digest ("content sha256:… already exists", moby#42900). Usually
 * containerd's garbage collection clears that within a second; but when a daemon died in the middle
 * of the checkpoint, containerd keeps its copy under the dead daemon's lease (a day), and every
 * restore of that checkpoint fails. One file of Ferry's own in the checkpoint's directory gives it
 * other bytes, so another digest; CRIU reads only the image files it knows.
 */
async function freshDigest(side: Side, id: string, checkpointId: string): Promise<void> {
  const c = await inspect(side, id);
  const helper = await call(side, () =>
    side.docker.createContainer({
      Image: c.Image,
      Entrypoint: ["/ferry-helper-is-never-started"],
      Cmd: [],
      Labels: { [HELPER_LABEL]: "fresh-digest" },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: "none", Mounts: [bindOnly(checkpointsDir(side, id), "/ferry-cps")] },
    }),
  );
  try {
    const tar = oneFileTar(`${checkpointId}/ferry-restore-${randomUUID()}`, Buffer.from("written by Ferry so that containerd sees a new digest\n"));
    await call(side, () => helper.putArchive(tar, { path: "/ferry-cps" }));
  } finally {
    await removeContainer(side, helper.id).catch(() => undefined); // a tool: the sweep removes it if this fails
  }
}

/** The container runs (one inspect: the end of a move's downtime). */
export async function running(side: Side, id: string): Promise<Docker.ContainerInspectInfo> {
  const first = await inspect(side, id);
  if (!first.State.Running) throw new DockerError("DOCKER", `container is ${first.State.Status} after restore (exit code ${first.State.ExitCode})`, side.host.name);
  return first;
}

/** Still running `settleMs` after `first` was seen running, and not restarted in between. */
export async function staysRunning(side: Side, first: Docker.ContainerInspectInfo, settleMs = 100): Promise<Docker.ContainerInspectInfo> {
  await new Promise((r) => setTimeout(r, settleMs));
  const second = await inspect(side, first.Id);
  if (!second.State.Running || second.State.StartedAt !== first.State.StartedAt || second.RestartCount !== first.RestartCount)
    throw new DockerError("DOCKER", `container did not stay running after restore (now ${second.State.Status}, exit ${second.State.ExitCode})`, side.host.name);
  return second;
}

/** The container runs, and still runs a moment later without having restarted. */
export async function verifyRunning(side: Side, id: string, settleMs = 100): Promise<Docker.ContainerInspectInfo> {
  return staysRunning(side, await running(side, id), settleMs);
}

/** Waits until the host answers a ping (its daemon restarting, say), at most `windowMs`; returns how long it waited. */
export async function untilAnswers(side: Side, windowMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await call(side, () => side.docker.ping(), Math.min(side.limits.callMs, 5000));
      return Date.now() - started;
    } catch (err) {
      if (Date.now() - started >= windowMs) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Waits until a container's state stops changing: not frozen by a checkpoint in progress, and the
 * same running/stopped state for `stableMs`. Used after a restart, when a checkpoint that the
 * previous process asked for may still be under way in the daemon.
 */
export async function waitSettled(side: Side, id: string, stableMs = 1500, timeoutMs = 120_000): Promise<Docker.ContainerInspectInfo> {
  const end = Date.now() + timeoutMs;
  let last = await inspect(side, id);
  let since = Date.now();
  for (;;) {
    if (!last.State.Running && !last.State.Paused) return last; // stopped: nothing more will happen to it
    if (!last.State.Paused && Date.now() - since >= stableMs) return last;
    if (Date.now() > end) throw new DockerError("TIMEOUT", `container ${id.slice(0, 12)} stayed frozen for ${timeoutMs} ms`, side.host.name);
    await new Promise((r) => setTimeout(r, 250));
    const next = await inspect(side, id);
    if (next.State.Running !== last.State.Running || next.State.Paused !== last.State.Paused) since = Date.now();
    last = next;
  }
}

export async function listCheckpoints(side: Side, id: string): Promise<string[]> {
  const list = asJsonArray<{ Name: string }>(await call(side, () => cp(side.docker.getContainer(id)).listCheckpoint()));
  return list.map((c) => c.Name);
}

export async function deleteCheckpoint(side: Side, id: string, checkpointId: string): Promise<void> {
  try {
    await call(side, () => cp(side.docker.getContainer(id)).deleteCheckpoint(checkpointId));
  } catch (err) {
    if (!(err instanceof DockerError && err.code === "NOT_FOUND")) throw err;
  }
}

export async function removeContainer(side: Side, id: string): Promise<void> {
  try {
    await call(side, () => side.docker.getContainer(id).remove({ force: true }));
  } catch (err) {
    if (err instanceof DockerError && err.code === "NOT_FOUND") return;
    // An earlier request for the same removal (sent while the host was frozen) is being carried out.
    if (err instanceof DockerError && err.code === "CONFLICT" && /removal .* already in progress/i.test(err.message)) return;
    throw err;
  }
}

/** Containers on a host that a given migration item created. */
export async function containersOfItem(side: Side, itemId: string): Promise<string[]> {
  const list = await call(side, () => side.docker.listContainers({ all: true, filters: { label: [`${ITEM_LABEL}=${itemId}`] } }));
  return list.map((c) => c.Id);
}

/** Removes the helper containers an interrupted move (`<migrationId>/<itemId>`) left behind. */
export async function removeHelpers(side: Side, tag: string): Promise<number> {
  const list = await call(side, () => side.docker.listContainers({ all: true, filters: { label: [`${HELPER_LABEL}=${tag}`] } }));
  await Promise.all(list.map((c) => removeContainer(side, c.Id)));
  return list.length;
}
