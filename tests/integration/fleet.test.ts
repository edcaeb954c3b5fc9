import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import type { Host } from "@/lib/generated/prisma/client";
import { listHostContainers } from "@/lib/hosts/containers";
import { createHost, getHost, refreshHealth, testConnection, toPublicHost, updateHost } from "@/lib/hosts/service";
import { MigrationEngine } from "@/lib/migration/engine";
import { getMigration, startMigration } from "@/lib/migration/service";
import type { MigrationRequest } from "@/lib/validations/migration";
import { counterValues, LAB, LAB_REMOTE, labDocker, type LabHost, readLabFile, remoteB, removeTestContainers, startContainer, untilCounted } from "../support/lab";

/**
 * Host B registered by each endpoint kind (its unix socket, TCP with mutual TLS, SSH), real
 * migrations over each, and every connection error a user can meet, each produced by the lab.
 */

const run = promisify(execFile);
const KINDS = ["unix", "tls", "ssh"] as const;
type Kind = (typeof KINDS)[number];

let a: Host;
let c: Host;
const viaB = {} as Record<Kind, Host>;
/** Which lab daemon a registered host is, by its name. */
const daemonOf = new Map<string, LabHost>();
const lastOnSource = new Map<string, number>();

/** ssh-keygen's fingerprint of a host key: what an admin compares with by hand. */
async function fingerprint(pubFile: string): Promise<string> {
  const { stdout } = await run("ssh-keygen", ["-lf", pubFile]);
  return stdout.split(" ")[1]!;
}

async function register(input: Parameters<typeof createHost>[0], daemon: LabHost): Promise<Host> {
  await db.host.deleteMany({ where: { name: input.name } });
  const h = await createHost(input);
  daemonOf.set(h.name, daemon);
  return h;
}

async function migrate(request: MigrationRequest) {
  const eng = new MigrationEngine({
    afterPhase: async ({ item, phase }) => {
      if (phase !== "checkpoint") return;
      const values = await counterValues(daemonOf.get(item.sourceHostName)!, item.sourceContainerId);
      lastOnSource.set(item.name, values.at(-1)!);
    },
  });
  const { id } = await startMigration(request, "integration-test", eng);
  await eng.start(id);
  return getMigration(id);
}

/** The counter resumed on `which`: its first number there is the next after its last one on the source. */
async function expectContinued(which: LabHost, name: string) {
  const values = await untilCounted(which, name, 2);
  expect(values[0], `${name}: first on ${which.toUpperCase()} after last on the source (${lastOnSource.get(name)})`).toBe(lastOnSource.get(name)! + 1);
  expect(values).toEqual(values.map((_, i) => values[0]! + i));
}

/** A new image on A (a layer on the counter image) that B and C have never seen. */
async function freshImage(tag: string): Promise<string> {
  const base = await labDocker("a").createContainer({ Image: LAB.image, Entrypoint: ["/bin/sh", "-c", `echo ${tag} > /data/layer.txt`], Labels: { "ferry.test": "1" }, HostConfig: { NetworkMode: "none" } });
  await base.start();
  await base.wait();
  await base.commit({ repo: "ferry/counter", tag, changes: 'ENTRYPOINT ["/bin/sh","-c","i=1; while true; do echo $i; i=$((i+1)); sleep 1; done"]' } as object);
  await base.remove();
  return `ferry/counter:${tag}`;
}

async function removeImage(image: string) {
  for (const which of ["a", "b", "c"] as const)
    await labDocker(which)
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
}

const expectProbeError = async (input: Parameters<typeof testConnection>[0], code: string, message: RegExp) => {
  const probe = await testConnection(input);
  expect(probe.ok, `${input.name} must fail`).toBe(false);
  if (probe.ok) return;
  expect(probe.code).toBe(code);
  expect(probe.error).toMatch(message);
};

describe("host B over unix, mutual TLS and SSH; host C", () => {
  beforeAll(async () => {
    await removeTestContainers();
    a = await register({ name: "it-fleet-a", endpoint: LAB.a.endpoint }, "a");
    c = await register({ name: "it-fleet-c", endpoint: LAB.c.endpoint }, "c");
    viaB.unix = await register({ name: "it-fleet-b-unix", endpoint: LAB.b.endpoint }, "b");
    viaB.tls = await register(remoteB("tls", "it-fleet-b-tls"), "b");
    viaB.ssh = await register(remoteB("ssh", "it-fleet-b-ssh"), "b");
    for (const h of [a, c, ...Object.values(viaB)])
      if (h.healthStatus !== "ok") throw new Error(`lab host ${h.name} (${h.endpoint}) is not usable: ${h.healthError}. Run: npm run lab`);
  });
  afterAll(async () => {
    await removeTestContainers();
    await db.host.deleteMany({ where: { name: { startsWith: "it-fleet-" } } });
  });

  it("registers B by each kind: the same daemon answers; SSH pins B's host key; the browser's view has no secrets", async () => {
    for (const kind of KINDS) {
      expect(viaB[kind]).toMatchObject({ healthStatus: "ok", experimental: true, apiVersion: "1.41", dockerRootDir: "/var/lib/ferry-lab-b/docker" });
    }
    expect(c.dockerRootDir).toBe("/var/lib/ferry-lab-c/docker");
    expect(viaB.ssh.sshHostKey).toBe(await fingerprint(LAB_REMOTE.sshHostKeyPub));
    expect(viaB.ssh.sshHostKeyPinnedAt).toBeInstanceOf(Date);
    expect(viaB.tls.sshHostKey).toBeNull();
    for (const kind of ["tls", "ssh"] as const) {
      const pub = toPublicHost(await getHost(viaB[kind].id));
      const text = JSON.stringify(pub);
      expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
      expect(pub).toMatchObject(kind === "tls" ? { hasTls: true, sshHostKey: null } : { hasSshKey: true, sshHostKey: viaB.ssh.sshHostKey });
    }
    // The containers page reads B over SSH and TLS like over its socket.
    for (const kind of KINDS) expect((await listHostContainers(viaB[kind])).ok).toBe(true);
  });

  it.each(KINDS)("moves counters A → B over %s and on from B to C, with a new image each way; every counter goes on", async (kind) => {
    const image = await freshImage(`fleet-${kind}-${Date.now()}`);
    try {
      const names = [1, 2].map((i) => `it-fleet-${kind}-${i}`);
      const ids = await Promise.all(names.map((n) => startContainer("a", n, { Image: image })));
      await Promise.all(ids.map((id) => untilCounted("a", id)));

      // B is the target: image load and archive put stream request bodies over this kind.
      const toB = await migrate({ targetHostId: viaB[kind].id, items: ids.map((containerId) => ({ hostId: a.id, containerId })) });
      expect(toB.items.map((i) => [i.name, i.status, i.error])).toEqual(names.map((n) => [n, "done", null]));
      const loaded = (items: typeof toB.items) => items.filter((i) => i.phases.find((p) => p.name === "image-sync")?.detail?.startsWith(`loaded ${image} `));
      expect(loaded(toB.items).length).toBe(1);
      for (const n of names) await expectContinued("b", n);

      // B is the source: checkpoint, image save and archive get stream responses over this kind.
      const onB = await Promise.all(names.map(async (n) => (await labDocker("b").getContainer(n).inspect()).Id));
      const toC = await migrate({ targetHostId: c.id, items: onB.map((containerId) => ({ hostId: viaB[kind].id, containerId })) });
      expect(toC.items.map((i) => [i.name, i.status, i.error])).toEqual(names.map((n) => [n, "done", null]));
      expect(loaded(toC.items).length).toBe(1);
      for (const n of names) await expectContinued("c", n);
      for (const id of onB) await expect(labDocker("b").getContainer(id).inspect()).rejects.toThrow();

      const figures = [...toB.items.map((i) => `${i.name} A→B ${i.downtimeMs} ms down`), ...toC.items.map((i) => `${i.name} B→C ${i.downtimeMs} ms down`)];
      console.log(`[figures] over ${kind}: ${figures.join("; ")}`);
    } finally {
      await removeTestContainers();
      await removeImage(image);
    }
  });
});

describe("connection errors a user meets are named, each produced by the lab", () => {
  const tlsB = () => remoteB("tls", "it-fleet-err-tls");
  const sshB = () => remoteB("ssh", "it-fleet-err-ssh");

  it("a CA that did not sign the daemon's certificate (wrong CA)", async () => {
    await expectProbeError({ ...tlsB(), tlsCa: readLabFile(LAB_REMOTE.otherCa) }, "TLS_UNTRUSTED_SERVER", /daemon's TLS certificate is not signed by the CA given for this host/);
  });

  it("an expired client certificate", async () => {
    await expectProbeError(
      { ...tlsB(), tlsCert: readLabFile(LAB_REMOTE.expiredClient.cert), tlsKey: readLabFile(LAB_REMOTE.expiredClient.key) },
      "TLS_CLIENT_CERT_EXPIRED",
      /refused the client certificate "ferry-lab-client-expired": it expired on 2021-01-01T00:00:00\.000Z/,
    );
  });

  it("a client certificate the daemon's CA did not sign (wrong client certificate)", async () => {
    await expectProbeError(
      { ...tlsB(), tlsCert: readLabFile(LAB_REMOTE.otherClient.cert), tlsKey: readLabFile(LAB_REMOTE.otherClient.key) },
      "TLS_CLIENT_CERT_REJECTED",
      /refused the client certificate "ferry-lab-client-other-ca" .*signed by "Ferry lab other CA", not by the CA given for this host/,
    );
  });

  it("a refused SSH login: a key the user does not authorize, a user that may not log in", async () => {
    await expectProbeError({ ...sshB(), sshKey: readLabFile(LAB_REMOTE.sshUnknownKey) }, "SSH_AUTH_FAILED", /ferry-lab@127\.0\.0\.1:23722 refused the login with this key/);
    await expectProbeError({ ...sshB(), endpoint: "ssh://nobody@127.0.0.1:23722" }, "SSH_AUTH_FAILED", /nobody@127\.0\.0\.1:23722 refused the login/);
  });

  it("no docker on the remote side", async () => {
    await expectProbeError({ ...sshB(), endpoint: LAB_REMOTE.sshNoDockerEndpoint }, "SSH_NO_DOCKER", /ferry-lab-nodocker@127\.0\.0\.1 has no docker command: .*docker: not found.*exit 127/);
  });

  it("connection refused, over TLS and over SSH", async () => {
    await expectProbeError({ ...tlsB(), endpoint: "tcp://127.0.0.1:1" }, "CONNECTION_REFUSED", /connection refused 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    await expectProbeError({ ...sshB(), endpoint: "ssh://ferry-lab@127.0.0.1:1" }, "CONNECTION_REFUSED", /connection refused 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });

  it("a changed SSH host key is refused, naming the pinned and the presented key, until the pin is forgotten", async () => {
    const pinned = await fingerprint(LAB_REMOTE.sshHostKeyPub);
    const presented = await fingerprint(LAB_REMOTE.sshRekeyedHostKeyPub);
    await db.host.deleteMany({ where: { name: "it-fleet-rekeyed" } });
    const h = await createHost(remoteB("ssh", "it-fleet-rekeyed"));
    expect(h.sshHostKey).toBe(pinned);
    // The same host, reinstalled: its address stays, its host key is new. (Set in the database:
    // editing the endpoint through Ferry forgets the pin on purpose.)
    await db.host.update({ where: { id: h.id }, data: { endpoint: LAB_REMOTE.sshRekeyedEndpoint } });
    const refused = await refreshHealth(h.id);
    expect(refused).toMatchObject({ healthStatus: "error", healthErrorCode: "SSH_HOST_KEY_CHANGED", sshHostKey: pinned });
    expect(refused.healthError).toContain(`pinned ${pinned}, the server now presents ${presented}`);
    // Every other path refuses too: the containers page, a migration to it.
    expect(await listHostContainers(refused)).toMatchObject({ ok: false, code: "SSH_HOST_KEY_CHANGED" });
    const source = await register({ name: "it-fleet-rekeyed-source", endpoint: LAB.a.endpoint }, "a");
    const id = await startContainer("a", "it-fleet-rekeyed-counter");
    await untilCounted("a", id);
    const m = await migrate({ targetHostId: h.id, items: [{ hostId: source.id, containerId: id }] });
    expect(m.items[0]!.status).toBe("skipped");
    expect(m.items[0]!.error).toMatch(/host key .* changed/);
    expect((await labDocker("a").getContainer(id).inspect()).State.Running).toBe(true);

    const trusted = await updateHost(h.id, { forgetHostKey: true });
    expect(trusted).toMatchObject({ healthStatus: "ok", sshHostKey: presented });
    await db.host.deleteMany({ where: { id: { in: [h.id, source.id] } } });
    await removeTestContainers();
  });

  it("a failing SSH host never takes the process down: many failures at once are all answered", async () => {
    const crashes: unknown[] = [];
    const onCrash = (err: unknown) => crashes.push(err);
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);
    try {
      const failing = [
        { ...sshB(), sshKey: readLabFile(LAB_REMOTE.sshUnknownKey) },
        { ...sshB(), endpoint: LAB_REMOTE.sshNoDockerEndpoint },
        { ...sshB(), endpoint: "ssh://ferry-lab@127.0.0.1:1" },
        { ...sshB(), sshKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----" },
      ];
      const results = await Promise.all(Array.from({ length: 5 }, () => failing.map((f) => testConnection(f))).flat());
      expect(results.every((r) => !r.ok)).toBe(true);
      // Give anything ssh2 might still emit a turn of the event loop to surface.
      await new Promise((r) => setImmediate(r));
      expect(crashes).toEqual([]);
    } finally {
      process.off("uncaughtException", onCrash);
      process.off("unhandledRejection", onCrash);
    }
  });
});
