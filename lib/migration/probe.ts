import "server-only";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DockerError } from "@/lib/docker/errors";
import { call, HELPER_LABEL, imageId, readAll, removeContainer, type Side } from "@/lib/migration/docker-ops";
import { PROBE_ENTRYPOINT, PROBE_IMAGE, probeRootfsTar } from "@/lib/migration/probe-image";
import { tarFiles } from "@/lib/migration/tar";

/**
 * Ferry's own tool on a host, through the Engine API alone: the few-KB static program of
 * lib/migration/probe-image.ts, imported as an image the first time a host needs it. It runs the
 * CRIU capability probe, reads a container's socket tables and closes its external connections,
 * and (never started, with a bind mount) reads a file of the host such as CRIU's log.
 */

const imported = new Map<string, Promise<void>>();

/** Imports the probe image on a host if it is missing (once per process and host). */
export function ensureProbeImage(side: Side): Promise<void> {
  const key = `${side.host.id}|${side.host.endpoint}`;
  let p = imported.get(key);
  if (!p) {
    p = (async () => {
      if (await imageId(side, PROBE_IMAGE)) return;
      const [repo, tag] = PROBE_IMAGE.split(":") as [string, string];
      const res = (await call(side, () =>
        side.docker.importImage(probeRootfsTar(), { repo, tag, changes: [`ENTRYPOINT ${JSON.stringify(PROBE_ENTRYPOINT)}`] }),
      )) as unknown as Readable;
      const text = await readAll(res);
      if (!(await imageId(side, PROBE_IMAGE))) throw new DockerError("DOCKER", `importing ${PROBE_IMAGE} failed: ${text.toString("utf8").slice(0, 300)}`, side.host.name);
    })();
    imported.set(key, p);
    p.catch(() => imported.delete(key));
  }
  return p;
}

/** Docker's non-TTY log stream: 8-byte frame headers (stream, size) before each chunk. */
function demuxLogs(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const stream = buf[off];
    const size = buf.readUInt32BE(off + 4);
    const chunk = buf.subarray(off + 8, off + 8 + size);
    (stream === 2 ? err : out).push(chunk);
    off += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

export async function containerLogs(side: Side, id: string): Promise<{ stdout: string; stderr: string }> {
  const raw = (await call(side, () => side.docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false }))) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
}

/** Creates a probe-tool container (not started). Every one carries the helper label, so sweeps find it. */
export async function createTool(side: Side, cmd: string[], tag: string, hostConfig: Docker.HostConfig = {}): Promise<Docker.Container> {
  await ensureProbeImage(side);
  return call(side, () =>
    side.docker.createContainer({
      Image: PROBE_IMAGE,
      Cmd: cmd,
      Labels: { [HELPER_LABEL]: tag },
      HostConfig: { NetworkMode: "none", ...hostConfig },
    }),
  );
}

/** The last line every mode of the tool that ends prints ("end …" or "==> end"). */
const COMPLETE = /^(?:==> )?end\b.*$/m;

/**
 * Runs the probe tool to completion and returns its exit code and output. The container is removed.
 * The output is read from an attach made before the start (a scan of 400 containers prints about
 * 1 MB, which Docker's log copier may still be writing when `wait` returns); the logs are the
 * fallback, read until the tool's last line is there.
 */
export async function runTool(
  side: Side,
  cmd: string[],
  tag: string,
  hostConfig: Docker.HostConfig = {},
  timeoutMs = 20_000,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const c = await createTool(side, cmd, tag, hostConfig);
  try {
    const attached = (await call(side, () => c.attach({ stream: true, stdout: true, stderr: true }) as Promise<NodeJS.ReadableStream>)) as Readable;
    const chunks: Buffer[] = [];
    const streamed = new Promise<void>((resolve) => {
      attached.on("data", (b: Buffer) => chunks.push(b));
      for (const e of ["end", "close", "error"]) attached.once(e, () => resolve());
    });
    const waiting = call(side, () => c.wait() as Promise<{ StatusCode: number }>, timeoutMs);
    await call(side, () => c.start());
    const { StatusCode } = await waiting;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([streamed, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    attached.destroy();
    let logs = demuxLogs(Buffer.concat(chunks));
    for (let i = 0; i < 200 && !COMPLETE.test(logs.stdout) && StatusCode === 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      logs = await containerLogs(side, c.id);
    }
    if (StatusCode === 0 && !COMPLETE.test(logs.stdout)) throw new DockerError("DOCKER", `the probe tool's output (${cmd[0]}) ended early: ${logs.stdout.slice(-200)}`, side.host.name);
    return { exitCode: StatusCode, ...logs };
  } finally {
    await removeContainer(side, c.id);
  }
}

/**
 * Reads a file of the host itself: a never-started helper bind-mounts the file's directory and the
 * archive API reads it (as the checkpoint itself is read). Null when the file is not there.
 */
export async function readHostFile(side: Side, hostPath: string, maxBytes = 4 * 1024 * 1024): Promise<string | null> {
  return (await readHostBytes(side, hostPath, maxBytes))?.toString("utf8") ?? null;
}

/** `readHostFile`'s bytes, as they are (CRIU's images are binary). */
export async function readHostBytes(side: Side, hostPath: string, maxBytes = 4 * 1024 * 1024): Promise<Buffer | null> {
  const slash = hostPath.lastIndexOf("/");
  const dir = hostPath.slice(0, slash) || "/";
  const base = hostPath.slice(slash + 1);
  let c: Docker.Container;
  try {
    // Mounts, not Binds: a bind of a missing path through Binds would create it on the host.
    c = await createTool(side, ["cat"], "read-host-file", { Mounts: [{ Type: "bind", Source: dir, Target: "/ferry-host", ReadOnly: true }] });
  } catch (err) {
    // "invalid mount config for type "bind": bind source path does not exist"
    if (err instanceof DockerError && /does not exist|no such file/i.test(err.message)) return null;
    throw err;
  }
  try {
    const stream = (await call(side, () => c.getArchive({ path: `/ferry-host/${base}` }))) as unknown as Readable;
    const [file] = tarFiles(await readAll(stream)).values();
    return file ? file.subarray(0, maxBytes) : null;
  } catch (err) {
    if (err instanceof DockerError && err.code === "NOT_FOUND") return null;
    throw err;
  } finally {
    await removeContainer(side, c.id);
  }
}
