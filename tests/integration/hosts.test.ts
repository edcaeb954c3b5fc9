import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { listAllContainers, listHostContainers, queryContainers, refreshMemory } from "@/lib/hosts/containers";
import { createHost, deleteHost, getHost, HostInputError, HostInUseError, refreshHealth, testConnection, toPublicHost, updateHost } from "@/lib/hosts/service";
import { LAB, removeTestContainers, startCounter } from "../support/lab";

describe("hosts against the real lab daemons", () => {
  beforeAll(async () => {
    await db.host.deleteMany();
    await removeTestContainers();
    await startCounter("a", "it-hosts-counter-a");
    await startCounter("b", "it-hosts-counter-b");
  });
  afterAll(async () => {
    await removeTestContainers();
  });

  it("registers lab hosts A and B and reads their health from the daemons", async () => {
    const a = await createHost({ name: LAB.a.name, endpoint: LAB.a.endpoint });
    const b = await createHost({ name: LAB.b.name, endpoint: LAB.b.endpoint });
    for (const h of [a, b]) {
      expect(h.healthStatus).toBe("ok");
      expect(h.healthError).toBeNull();
      expect(h.experimental).toBe(true);
      expect(h.apiVersion).toBe("1.41");
      expect(h.dockerVersion).toMatch(/^20\.10\./);
      expect(h.cpus).toBeGreaterThan(0);
      expect(Number(h.memTotal)).toBeGreaterThan(512 * 1024 * 1024);
      expect(h.containersRunning).toBeGreaterThanOrEqual(1);
    }
    // Two independent daemons: different data roots.
    expect(a.dockerRootDir).toBe("/var/lib/docker");
    expect(b.dockerRootDir).toBe("/var/lib/ferry-lab-b/docker");
  });

  it("lists containers of both hosts, each on its own host", async () => {
    const all = await listAllContainers();
    const byHost = Object.fromEntries(all.map((h) => [h.hostName, h]));
    const a = byHost[LAB.a.name];
    const b = byHost[LAB.b.name];
    expect(a?.ok && b?.ok).toBe(true);
    if (!a?.ok || !b?.ok) return;
    const counterA = a.containers.find((c) => c.name === "it-hosts-counter-a");
    expect(counterA).toMatchObject({ state: "running", image: LAB.image, hostName: LAB.a.name });
    expect(counterA?.uptimeSeconds).not.toBeNull();
    expect(a.containers.some((c) => c.name === "it-hosts-counter-b")).toBe(false);
    expect(b.containers.find((c) => c.name === "it-hosts-counter-b")).toMatchObject({ state: "running" });
  });

  it("samples memory of running containers", async () => {
    const host = await db.host.findUniqueOrThrow({ where: { name: LAB.a.name } });
    await refreshMemory(host);
    const listed = await listHostContainers(host);
    expect(listed.ok).toBe(true);
    if (!listed.ok) return;
    const counter = listed.containers.find((c) => c.name === "it-hosts-counter-a");
    expect(counter?.memoryBytes).toBeGreaterThan(0);
    expect(counter?.memoryBytes).toBeLessThan(64 * 1024 * 1024);
  });

  it("refuses a malformed endpoint with its cause, and saves nothing", async () => {
    const before = await db.host.count();
    await expect(createHost({ name: "bad", endpoint: "docker.example:2375" })).rejects.toThrow(HostInputError);
    await expect(createHost({ name: "bad", endpoint: "unix://relative" })).rejects.toMatchObject({
      fieldErrors: { endpoint: [expect.stringMatching(/absolute path/)] },
    });
    expect(await db.host.count()).toBe(before);
  });

  it("refuses a duplicate name", async () => {
    await expect(createHost({ name: LAB.a.name, endpoint: LAB.b.endpoint })).rejects.toThrow(/exists already/);
  });

  it("names why an unreachable endpoint fails, and shows it as an error row, not as no containers", async () => {
    const probe = await testConnection({ name: "ghost", endpoint: "unix:///run/ferry-no-such.sock" });
    expect(probe.ok).toBe(false);
    if (probe.ok) return;
    expect(probe.code).toBe("UNREACHABLE");
    expect(probe.error).toMatch(/\/run\/ferry-no-such\.sock does not exist \(ENOENT\)/);

    const refused = await testConnection({ name: "closed", endpoint: "tcp://127.0.0.1:1" });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatch(/ECONNREFUSED/);

    const ghost = await createHost({ name: "ghost", endpoint: "unix:///run/ferry-no-such.sock" });
    expect(ghost.healthStatus).toBe("error");
    const rows = await listAllContainers();
    const row = rows.find((r) => r.hostName === "ghost");
    expect(row).toMatchObject({ ok: false, code: "UNREACHABLE" });
    await deleteHost(ghost.id);
  });

  it("edits a host and re-checks it; the public view carries no secrets", async () => {
    const b = await db.host.findUniqueOrThrow({ where: { name: LAB.b.name } });
    const moved = await updateHost(b.id, { name: LAB.b.name, endpoint: "unix:///run/ferry-no-such.sock" });
    expect(moved.healthStatus).toBe("error");
    const back = await updateHost(b.id, { name: LAB.b.name, endpoint: LAB.b.endpoint });
    expect(back.healthStatus).toBe("ok");
    expect((await refreshHealth(b.id)).healthStatus).toBe("ok");
    const pub = toPublicHost(await getHost(b.id));
    expect(Object.keys(pub)).not.toEqual(expect.arrayContaining(["tlsKey"]));
    expect(JSON.stringify(pub)).not.toMatch(/tlsKey|sshKey"/);
  });

  it("an edit changes only the fields it names; stored keys stay unless cleared; a limit set to null goes back to the default", async () => {
    const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----";
    const h = await createHost({ name: "it-edit", endpoint: "ssh://deploy@127.0.0.1:1", sshKey: PEM, memoryBudgetMiB: 1024 });
    try {
      const limited = await updateHost(h.id, { maxConcurrency: 3 });
      expect(limited).toMatchObject({ name: "it-edit", endpoint: "ssh://deploy@127.0.0.1:1", sshKey: PEM, memoryBudgetBytes: 1024n * 1048576n, maxConcurrency: 3 });
      const renamed = await updateHost(h.id, { name: "it-edit-2", memoryBudgetMiB: null });
      expect(renamed).toMatchObject({ name: "it-edit-2", sshKey: PEM, memoryBudgetBytes: null, maxConcurrency: 3 });
      // The result must still be a whole host: forgetting the key of an ssh:// host is refused, nothing changes.
      await expect(updateHost(h.id, { clearSecrets: true })).rejects.toMatchObject({ fieldErrors: { sshKey: ["Paste the private key Ferry should use"] } });
      await expect(updateHost(h.id, { maxConcurrency: 0 })).rejects.toThrow(HostInputError);
      expect((await getHost(h.id)).sshKey).toBe(PEM);
      const cleared = await updateHost(h.id, { endpoint: "unix:///run/ferry-no-such.sock", clearSecrets: true, maxConcurrency: null });
      expect(cleared).toMatchObject({ endpoint: "unix:///run/ferry-no-such.sock", sshKey: null, maxConcurrency: null });
      expect(toPublicHost(cleared)).toMatchObject({ hasSshKey: false, hasTls: false });
    } finally {
      await deleteHost(h.id);
    }
  });

  it("a host cannot be removed while a batch that has not ended moves containers from or to it", async () => {
    const ghost = await createHost({ name: "it-busy", endpoint: "unix:///run/ferry-no-such.sock" });
    const m = await db.migration.create({ data: { status: "running", targetHostId: ghost.id, targetHostName: ghost.name, options: "{}", createdBy: "it" } });
    try {
      const refused = await deleteHost(ghost.id).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HostInUseError);
      expect((refused as Error).message).toBe(`Host "it-busy" is part of migration ${m.id}, which has not ended; remove the host once that batch is over (or cancel it first)`);
      expect(await db.host.findUnique({ where: { id: ghost.id } })).not.toBeNull();
      await db.migration.update({ where: { id: m.id }, data: { status: "done" } });
      await deleteHost(ghost.id);
      expect(await db.host.findUnique({ where: { id: ghost.id } })).toBeNull();
    } finally {
      await db.migration.delete({ where: { id: m.id } });
      await db.host.deleteMany({ where: { id: ghost.id } });
    }
  });

  it("queries containers across hosts with filters; an unreachable host is an error entry, not a failure", async () => {
    const ghost = await createHost({ name: "it-ghost-query", endpoint: "unix:///run/ferry-no-such.sock" });
    try {
      const all = await queryContainers({ name: "IT-HOSTS-COUNTER" });
      expect(all.containers.map((c) => `${c.hostName}/${c.name}`)).toEqual([`${LAB.a.name}/it-hosts-counter-a`, `${LAB.b.name}/it-hosts-counter-b`].sort());
      expect(all.errors).toEqual([expect.objectContaining({ hostName: "it-ghost-query", ok: false, code: "UNREACHABLE" })]);
      const onB = await queryContainers({ host: LAB.b.name, state: "running", image: "counter" });
      expect(onB.containers.every((c) => c.hostName === LAB.b.name && c.state === "running")).toBe(true);
      expect(onB.containers.map((c) => c.name)).toContain("it-hosts-counter-b");
      expect(onB.errors).toEqual([]);
      expect((await queryContainers({ host: ghost.id })).errors.map((e) => e.hostId)).toEqual([ghost.id]);
      expect((await queryContainers({ state: "dead", name: "it-hosts-counter" })).containers).toEqual([]);
      await expect(queryContainers({ host: "no-such-host" })).rejects.toMatchObject({ fieldErrors: { host: ["no host with id or name no-such-host"] } });
    } finally {
      await deleteHost(ghost.id);
    }
  });
});
