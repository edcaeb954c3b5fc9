import fs from "node:fs";
import Docker from "dockerode";

/** The lab's two hosts (scripts/lab.sh). Tests that need them fail, never skip, when they are down. */
export const LAB = {
  a: { name: "lab-a", endpoint: "unix:///var/run/docker.sock", socketPath: "/var/run/docker.sock" },
  b: { name: "lab-b", endpoint: "unix:///run/ferry-lab-b.sock", socketPath: "/run/ferry-lab-b.sock" },
  image: "ferry/counter:lab",
  label: "ferry.lab",
} as const;

export function labDocker(which: "a" | "b"): Docker {
  return new Docker({ socketPath: LAB[which].socketPath, version: "v1.41" });
}

export async function assertLabUp(): Promise<void> {
  for (const which of ["a", "b"] as const) {
    const sock = LAB[which].socketPath;
    if (!fs.existsSync(sock)) throw new Error(`lab host ${which.toUpperCase()} is down: ${sock} is missing. Run: npm run lab`);
    await labDocker(which)
      .ping()
      .catch((err: Error) => {
        throw new Error(`lab host ${which.toUpperCase()} does not answer on ${sock}: ${err.message}. Run: npm run lab`);
      });
  }
}

/** Starts a counter container (prints 1, 2, 3 … once a second) on a lab host. */
export async function startCounter(which: "a" | "b", name: string): Promise<string> {
  return startContainer(which, name);
}

/**
 * A clean lab for a test file: its test containers, and any helper a crashed earlier run left (a
 * run whose database is gone cannot have them swept: the sweep never touches what it does not know).
 */
export async function removeTestContainers(): Promise<void> {
  for (const which of ["a", "b"] as const) {
    const docker = labDocker(which);
    const list = [
      ...(await docker.listContainers({ all: true, filters: { label: ["ferry.test=1"] } })),
      ...(await docker.listContainers({ all: true, filters: { label: ["ferry.helper"] } })),
    ];
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }
}

/** The numbers a counter container printed, in order (docker logs, stdout). */
export async function counterValues(which: "a" | "b", id: string): Promise<number[]> {
  const buf = (await labDocker(which).getContainer(id).logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
  // Non-TTY logs are multiplexed: 8-byte frame headers before each chunk.
  const lines: string[] = [];
  let off = 0;
  let text = "";
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    text += buf.subarray(off + 8, off + 8 + size).toString("utf8");
    off += 8 + size;
  }
  for (const l of text.split("\n")) if (/^\d+$/.test(l.trim())) lines.push(l.trim());
  return lines.map(Number);
}

/** Starts a container with any command on a lab host (test-labelled, no network). */
export async function startContainer(
  which: "a" | "b",
  name: string,
  extra: { Entrypoint?: string[]; Cmd?: string[]; Image?: string; HostConfig?: Record<string, unknown> } = {},
): Promise<string> {
  const docker = labDocker(which);
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const c = await docker.createContainer({
    name,
    Image: extra.Image ?? LAB.image,
    Hostname: name,
    Entrypoint: extra.Entrypoint,
    Cmd: extra.Cmd,
    Labels: { [LAB.label]: "1", "ferry.test": "1" },
    HostConfig: { NetworkMode: "none", ...extra.HostConfig },
  });
  await c.start();
  return c.id;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until a counter container has printed at least `n` numbers; returns them. */
export async function untilCounted(which: "a" | "b", id: string, n = 1, timeoutMs = 30_000): Promise<number[]> {
  return waitFor(`${id} on ${which.toUpperCase()} to print ${n} number(s)`, async () => {
    const v = await counterValues(which, id).catch(() => []);
    return v.length >= n ? v : null;
  }, timeoutMs);
}

/** Waits until a counter container prints a number above `after`; returns its numbers. */
export async function untilPast(which: "a" | "b", id: string, after: number, timeoutMs = 30_000): Promise<number[]> {
  return waitFor(`${id} on ${which.toUpperCase()} to print past ${after}`, async () => {
    const v = await counterValues(which, id).catch(() => []);
    return v.length && v.at(-1)! > after ? v : null;
  }, timeoutMs);
}

/** Containers Ferry's helpers left behind on a lab host (must be none). */
export async function leftoverHelpers(which: "a" | "b"): Promise<number> {
  return (await labDocker(which).listContainers({ all: true, filters: { label: ["ferry.helper"] } })).length;
}

/** Reads one file out of a container through the archive API. */
export async function readFileFrom(which: "a" | "b", id: string, path: string): Promise<string> {
  const stream = (await labDocker(which).getContainer(id).getArchive({ path })) as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  const tar = Buffer.concat(chunks);
  const size = parseInt(tar.subarray(124, 136).toString("ascii").replace(/\0.*$/, "").trim(), 8);
  return tar.subarray(512, 512 + size).toString("utf8");
}

/** Real server images the lab builds on host A only (scripts/lab.sh), so every move also syncs the image. */
export const SERVER_IMAGES = { redis: "ferry/redis:lab", nginx: "ferry/nginx:lab", postgres: "ferry/postgres:lab" } as const;

/** Runs a program inside a running container (docker exec) and returns its exit code and output. */
export async function execIn(which: "a" | "b", id: string, cmd: string[], opts: { user?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const docker = labDocker(which);
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: opts.user });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  const { stdout, stderr } = demux(Buffer.concat(chunks));
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout, stderr };
}

function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    (buf[off] === 2 ? err : out).push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** stdout lines a container printed (docker logs). */
export async function logLines(which: "a" | "b", id: string): Promise<string[]> {
  const buf = (await labDocker(which).getContainer(id).logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
  return demux(buf).stdout.split("\n").filter(Boolean);
}

/** Whether a container (by name or id) runs on a lab host; false when it does not exist. */
export async function isRunning(which: "a" | "b", id: string): Promise<boolean> {
  return labDocker(which)
    .getContainer(id)
    .inspect()
    .then(
      (c) => c.State.Running,
      () => false,
    );
}
