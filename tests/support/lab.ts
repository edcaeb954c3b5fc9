import fs from "node:fs";
import Docker from "dockerode";

/**
 * The lab's hosts (scripts/lab.sh): A, B and C on Docker 20.10; D (Docker 28.5.2) and E (26.1.5)
 * for the compatibility tests. Tests that need them fail, never skip, when they are down.
 */
export const LAB = {
  a: { name: "lab-a", endpoint: "unix:///var/run/docker.sock", socketPath: "/var/run/docker.sock" },
  b: { name: "lab-b", endpoint: "unix:///run/ferry-lab-b.sock", socketPath: "/run/ferry-lab-b.sock" },
  c: { name: "lab-c", endpoint: "unix:///run/ferry-lab-c.sock", socketPath: "/run/ferry-lab-c.sock" },
  d: { name: "lab-d", endpoint: "unix:///run/ferry-lab-d.sock", socketPath: "/run/ferry-lab-d.sock" },
  e: { name: "lab-e", endpoint: "unix:///run/ferry-lab-e.sock", socketPath: "/run/ferry-lab-e.sock" },
  image: "ferry/counter:lab",
  label: "ferry.lab",
} as const;

export type LabHost = "a" | "b" | "c" | "d" | "e";
/** The hosts every test run needs up; D and E only the compatibility tests. */
const LAB_HOSTS = ["a", "b", "c"] as const;
const NEWER_HOSTS = ["d", "e"] as const;

/**
 * Host B's other endpoints and the lab's TLS and SSH material (`scripts/lab.sh env` prints the
 * same paths). The files are root's; tests run as root, as the lab does.
 */
const TLS = "/etc/ferry-lab/tls";
const SSH = "/etc/ferry-lab/ssh";
export const LAB_REMOTE = {
  tlsEndpoint: "tcp://127.0.0.1:23760",
  tls: { ca: `${TLS}/ca.pem`, cert: `${TLS}/cert.pem`, key: `${TLS}/key.pem` },
  /** A second CA (not B's), a client certificate from it, and an expired one from B's CA. */
  otherCa: `${TLS}/other-ca.pem`,
  otherClient: { cert: `${TLS}/other-cert.pem`, key: `${TLS}/other-key.pem` },
  expiredClient: { cert: `${TLS}/expired-cert.pem`, key: `${TLS}/expired-key.pem` },
  sshEndpoint: "ssh://ferry-lab@127.0.0.1:23722",
  /** The same daemon behind an sshd with another host key: host B "after a reinstall". */
  sshRekeyedEndpoint: "ssh://ferry-lab@127.0.0.1:23723",
  /** A user who logs in but has no docker on its PATH. */
  sshNoDockerEndpoint: "ssh://ferry-lab-nodocker@127.0.0.1:23722",
  sshKey: `${SSH}/id_ed25519`,
  /** A key no lab user authorizes. */
  sshUnknownKey: `${SSH}/unknown_ed25519`,
  sshHostKeyPub: `${SSH}/host_ed25519.pub`,
  sshRekeyedHostKeyPub: `${SSH}/host_rekeyed_ed25519.pub`,
} as const;

export const readLabFile = (path: string) => fs.readFileSync(path, "utf8");

/** Host B over mutual TLS or SSH, as a host form would register it. */
export function remoteB(kind: "tls" | "ssh", name: string) {
  return kind === "tls"
    ? { name, endpoint: LAB_REMOTE.tlsEndpoint, tlsCa: readLabFile(LAB_REMOTE.tls.ca), tlsCert: readLabFile(LAB_REMOTE.tls.cert), tlsKey: readLabFile(LAB_REMOTE.tls.key) }
    : { name, endpoint: LAB_REMOTE.sshEndpoint, sshKey: readLabFile(LAB_REMOTE.sshKey) };
}

/** A client for a lab host; a call that gets no bytes for two minutes fails instead of hanging the run. */
export function labDocker(which: LabHost): Docker {
  return new Docker({ socketPath: LAB[which].socketPath, version: "v1.41", timeout: 120_000 });
}

/**
 * Why a lab host does not answer /version within `ms` (dockerd asks its containerd for it, so a
 * daemon stuck on its containerd does not answer either), or null when it does.
 */
export async function whyNoAnswer(which: LabHost, ms = 15_000): Promise<string | null> {
  const sock = LAB[which].socketPath;
  if (!fs.existsSync(sock)) return `${sock} is missing`;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r(`no answer on ${sock} within ${ms / 1000} s`), ms)));
  const asked = labDocker(which)
    .version()
    .then(
      () => null,
      (err: Error) => `${sock}: ${err.message}`,
    );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function assertLabUp(): Promise<void> {
  for (const which of LAB_HOSTS) {
    const why = await whyNoAnswer(which);
    if (why) throw new Error(`lab host ${which.toUpperCase()} is not usable: ${why}. Run: npm run lab`);
  }
}

/**
 * The lab hosts that do not answer: A, B and C whatever the cause; D and E only when they are
 * alive but silent (a newer Docker that could not be set up is down on purpose, and the tests that
 * need it fail on their own).
 */
export async function stuckLabHosts(): Promise<{ host: LabHost; why: string }[]> {
  const whys = await Promise.all([...LAB_HOSTS, ...NEWER_HOSTS].map(async (host) => ({ host, why: await whyNoAnswer(host) })));
  return whys.filter((w): w is { host: LabHost; why: string } => w.why !== null && ((LAB_HOSTS as readonly string[]).includes(w.host) || w.why.startsWith("no answer")));
}

/** Starts a counter container (prints 1, 2, 3 … once a second) on a lab host. */
export async function startCounter(which: LabHost, name: string): Promise<string> {
  return startContainer(which, name);
}

/**
 * A clean lab for a test file: its test containers, and any helper a crashed earlier run left (a
 * run whose database is gone cannot have them swept: the sweep never touches what it does not know).
 */
export async function removeTestContainers(): Promise<void> {
  // D and E only when they are up: a lab whose newer Docker could not be set up still runs the rest.
  const newer = (await Promise.all(NEWER_HOSTS.map(async (h) => ((await whyNoAnswer(h, 10_000)) === null ? [h] : [])))).flat();
  for (const which of [...LAB_HOSTS, ...newer]) {
    const docker = labDocker(which);
    const list = [
      ...(await docker.listContainers({ all: true, filters: { label: ["ferry.test=1"] } })),
      ...(await docker.listContainers({ all: true, filters: { label: ["ferry.helper"] } })),
    ];
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    // The one-off images the image-sync tests commit (and a sync carries to B): unused once their containers are gone.
    const oneOff = (await docker.listImages()).flatMap((i) => (i.RepoTags ?? []).filter((t) => TEST_IMAGE_TAG.test(t)));
    for (const tag of oneOff) await docker.getImage(tag).remove().catch(() => undefined);
  }
}

/** `ferry/counter:it-sync-<ms>` (migration.test.ts) and `ferry/counter:ft-img-<ms>` (faults.test.ts). */
const TEST_IMAGE_TAG = /^ferry\/counter:(?:it-sync|ft-img)-\d+$/;

/** The numbers a counter container printed, in order (docker logs, stdout). */
export async function counterValues(which: LabHost, id: string): Promise<number[]> {
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
  which: LabHost,
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
export async function untilCounted(which: LabHost, id: string, n = 1, timeoutMs = 30_000): Promise<number[]> {
  return waitFor(`${id} on ${which.toUpperCase()} to print ${n} number(s)`, async () => {
    const v = await counterValues(which, id).catch(() => []);
    return v.length >= n ? v : null;
  }, timeoutMs);
}

/** Waits until a counter container prints a number above `after`; returns its numbers. */
export async function untilPast(which: LabHost, id: string, after: number, timeoutMs = 30_000): Promise<number[]> {
  return waitFor(`${id} on ${which.toUpperCase()} to print past ${after}`, async () => {
    const v = await counterValues(which, id).catch(() => []);
    return v.length && v.at(-1)! > after ? v : null;
  }, timeoutMs);
}

/** Containers Ferry's helpers left behind on a lab host (must be none). */
export async function leftoverHelpers(which: LabHost): Promise<number> {
  return (await labDocker(which).listContainers({ all: true, filters: { label: ["ferry.helper"] } })).length;
}

/** Reads one file out of a container through the archive API. */
export async function readFileFrom(which: LabHost, id: string, path: string): Promise<string> {
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
export async function execIn(which: LabHost, id: string, cmd: string[], opts: { user?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
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
export async function logLines(which: LabHost, id: string): Promise<string[]> {
  const buf = (await labDocker(which).getContainer(id).logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
  return demux(buf).stdout.split("\n").filter(Boolean);
}

/** Whether a container (by name or id) runs on a lab host; false when it does not exist. */
export async function isRunning(which: LabHost, id: string): Promise<boolean> {
  return labDocker(which)
    .getContainer(id)
    .inspect()
    .then(
      (c) => c.State.Running,
      () => false,
    );
}
