import fs from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { labDocker, startCounter } from "../tests/support/lab";
import { database, labHostId, login, sessionHeaders } from "./helpers";

/**
 * The REST API does what the hosts and containers pages do (edit, remove, list across hosts) and
 * describes itself in /api/v1/openapi.json. Uses its own containers and hosts; runs alone too.
 */

const GHOST = { name: "e2e-api-ghost", endpoint: "unix:///run/ferry-e2e-no-such.sock" };
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAe2e\n-----END OPENSSH PRIVATE KEY-----";

let headers: Record<string, string> = {};

test.beforeAll(async ({ browser, baseURL }) => {
  headers = await sessionHeaders(browser, baseURL!);
});

/** A counter of this spec's own on a lab host (the one an earlier run left is replaced). */
async function fresh(which: "a" | "b", name: string): Promise<string> {
  await labDocker(which).getContainer(name).remove({ force: true }).catch(() => undefined);
  return startCounter(which, name);
}

/** Registers the unreachable host (saved with its error), or finds it from an earlier run. */
async function ghost(request: APIRequestContext): Promise<string> {
  const hosts = ((await (await request.get("/api/v1/hosts", { headers })).json()) as { hosts: { id: string; name: string }[] }).hosts;
  const found = hosts.find((h) => h.name === GHOST.name);
  if (found) return found.id;
  const res = await request.post("/api/v1/hosts", { headers, data: GHOST });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test.describe.serial("the REST API", () => {
  test("PATCH edits what the edit form edits, keys are never echoed; DELETE is refused while a batch needs the host, in the API and on the page", async ({ page, request }) => {
    const id = await ghost(request);
    const patch = (data: unknown) => request.patch(`/api/v1/hosts/${id}`, { headers, data });

    const limited = await patch({ maxConcurrency: 3, memoryBudgetMiB: 512 });
    expect(limited.status()).toBe(200);
    expect(await limited.json()).toMatchObject({ id, name: GHOST.name, endpoint: GHOST.endpoint, maxConcurrency: 3, memoryBudgetBytes: 512 * 1048576 });

    const ssh = await patch({ endpoint: "ssh://deploy@127.0.0.1:1", sshKey: KEY });
    expect(ssh.status()).toBe(200);
    const sshText = await ssh.text();
    expect(JSON.parse(sshText)).toMatchObject({ endpoint: "ssh://deploy@127.0.0.1:1", hasSshKey: true, maxConcurrency: 3 });
    const read = await (await request.get(`/api/v1/hosts/${id}`, { headers })).text();
    for (const text of [sshText, read]) expect(text).not.toMatch(/PRIVATE KEY|b3BlbnNzaC1rZXktdjEAAAAAe2e|sshKey"/);
    // The page shows the same host as changed.
    await login(page);
    await page.goto("/hosts");
    const row = page.getByTestId(`host-row-${GHOST.name}`);
    await expect(row).toContainText("ssh://deploy@127.0.0.1:1");
    await expect(row).toContainText("SSH key stored");

    const reset = await patch({ endpoint: GHOST.endpoint, clearSecrets: true, memoryBudgetMiB: null });
    expect(await reset.json()).toMatchObject({ endpoint: GHOST.endpoint, hasSshKey: false, memoryBudgetBytes: null, maxConcurrency: 3 });
    const bad = await patch({ maxConcurrency: 0, colour: "red" });
    expect(bad.status()).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/Unknown field\(s\): colour/);

    // A batch that has not ended and moves containers to this host.
    const db = database();
    const batchId = `e2e-api-busy-${Date.now()}`;
    try {
      db.prepare("INSERT INTO Migration (id, status, targetHostId, targetHostName, options, createdBy, createdAt, cancelRequested) VALUES (?, 'running', ?, ?, '{}', 'e2e-api', ?, 0)").run(
        batchId,
        id,
        GHOST.name,
        new Date().toISOString().replace("Z", "+00:00"),
      );
      const refused = await request.delete(`/api/v1/hosts/${id}`, { headers });
      expect(refused.status()).toBe(409);
      expect(await refused.json()).toEqual({
        error: {
          code: "HOST_IN_USE",
          message: `Host "${GHOST.name}" is part of migration ${batchId}, which has not ended; remove the host once that batch is over (or cancel it first)`,
          migrationId: batchId,
        },
      });
      // The page's Remove says the same.
      await page.reload();
      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: `Remove ${GHOST.name}` }).click();
      await expect(page.getByRole("alert").filter({ hasText: `is part of migration ${batchId}, which has not ended` })).toBeVisible();
      await expect(page.getByTestId(`host-row-${GHOST.name}`)).toBeVisible();

      db.prepare("UPDATE Migration SET status = 'done' WHERE id = ?").run(batchId);
      expect((await request.delete(`/api/v1/hosts/${id}`, { headers })).status()).toBe(204);
      expect((await request.get(`/api/v1/hosts/${id}`, { headers })).status()).toBe(404);
      await page.reload();
      await expect(page.getByTestId(`host-row-${GHOST.name}`)).toHaveCount(0);
    } finally {
      db.prepare("DELETE FROM Migration WHERE id = ?").run(batchId);
      db.close();
    }
  });

  test("GET /api/v1/containers: filters across hosts; a host that cannot be reached is an error entry, not a failure", async ({ request }) => {
    await labHostId(request, headers, "b");
    const id = await ghost(request);
    await fresh("b", "e2e-api-list-running");
    const stopped = await fresh("a", "e2e-api-list-stopped");
    await labDocker("a").getContainer(stopped).stop({ t: 0 });
    type Answer = { containers: { name: string; hostName: string; state: string; image: string }[]; errors: { hostId: string; hostName: string; code: string }[] };
    const list = async (query: string) => {
      const res = await request.get(`/api/v1/containers?${query}`, { headers });
      expect(res.status(), query).toBe(200);
      const body = (await res.json()) as Answer;
      return { rows: body.containers.map((c) => `${c.hostName}/${c.name}/${c.state}`), errors: body.errors };
    };
    try {
      const all = await list("name=E2E-API-LIST");
      expect(all.rows).toEqual(["lab-b/e2e-api-list-running/running", "local/e2e-api-list-stopped/exited"]);
      expect(all.errors).toEqual(expect.arrayContaining([expect.objectContaining({ hostId: id, hostName: GHOST.name, code: "UNREACHABLE" })]));
      expect((await list("name=e2e-api-list&state=running")).rows).toEqual(["lab-b/e2e-api-list-running/running"]);
      expect((await list("name=e2e-api-list&image=ferry%2Fcounter&state=exited")).rows).toEqual(["local/e2e-api-list-stopped/exited"]);
      expect((await list("name=e2e-api-list&image=nginx")).rows).toEqual([]);
      // By host name or id: only that host is asked (so no error entry for the unreachable one).
      expect(await list("host=local&name=e2e-api-list")).toEqual({ rows: ["local/e2e-api-list-stopped/exited"], errors: [] });
      expect(await list(`host=${id}`)).toEqual({ rows: [], errors: [expect.objectContaining({ hostId: id, code: "UNREACHABLE" })] });
      const typo = await request.get("/api/v1/containers?status=running", { headers });
      expect(typo.status()).toBe(400);
      expect(((await typo.json()) as { error: { message: string } }).error.message).toBe("Invalid input: Unknown filter(s): status (filters are host, state, name, image)");
    } finally {
      expect((await request.delete(`/api/v1/hosts/${id}`, { headers })).status()).toBe(204);
    }
  });

  test("GET /api/v1/openapi.json: needs a session or token; describes every route file and the shapes the API answers with", async ({ request }) => {
    expect((await request.get("/api/v1/openapi.json")).status()).toBe(401);
    const res = await request.get("/api/v1/openapi.json", { headers });
    expect(res.status()).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> } };
    expect(doc.openapi).toBe("3.1.0");
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const routes = walk("app/api/v1")
      .filter((f) => path.basename(f) === "route.ts")
      .map((f) => `/${path.dirname(path.relative("app", f)).replace(/\[(\w+)\]/g, "{$1}")}`);
    expect(Object.keys(doc.paths).sort()).toEqual(routes.sort());
    // What GET /api/v1/hosts answers is what the Host schema says, field for field.
    const hosts = ((await (await request.get("/api/v1/hosts", { headers })).json()) as { hosts: Record<string, unknown>[] }).hosts;
    expect(hosts.length).toBeGreaterThan(0);
    for (const h of hosts) expect(Object.keys(h).sort()).toEqual(Object.keys(doc.components.schemas.Host!.properties).sort());
  });
});
