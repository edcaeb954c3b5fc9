import { expect, test, type APIRequestContext } from "@playwright/test";
import { counterValues, LAB, labDocker, startCounter, untilCounted, type LabHost } from "../tests/support/lab";
import { labHostId, login, sessionHeaders } from "./helpers";

/**
 * Hosts → Evacuate lab-c: the plan before anything stops (where each container goes, which one
 * cannot go and why), the batch with a target per item, maintenance on the hosts page, and the
 * same through the API. Lab host C is this spec's alone (it starts empty).
 */

const COUNTERS = ["e2e-evac-1", "e2e-evac-2", "e2e-evac-3", "e2e-evac-4"];
/** Taken on every other host, so no host can take it under "Try another host". */
const BLOCKED = "e2e-evac-4";

let headers: Record<string, string> = {};
const ids: Record<string, string> = {};

async function hosts(request: APIRequestContext): Promise<{ id: string; name: string; maintenance: boolean }[]> {
  return ((await (await request.get("/api/v1/hosts", { headers })).json()) as { hosts: { id: string; name: string; maintenance: boolean }[] }).hosts;
}

test.beforeAll(async ({ browser, baseURL }) => {
  headers = await sessionHeaders(browser, baseURL!);
  for (const n of COUNTERS) ids[n] = await startCounter("c", n);
  // The same name, stopped, on A and B: neither can take that counter without renaming it.
  for (const which of ["a", "b"] as const) {
    const docker = labDocker(which);
    await docker.getContainer(BLOCKED).remove({ force: true }).catch(() => undefined);
    await docker.createContainer({ name: BLOCKED, Image: LAB.image, Labels: { "ferry.test": "1" }, HostConfig: { NetworkMode: "none" } });
  }
  await Promise.all(COUNTERS.map((n) => untilCounted("c", ids[n]!, 3)));
});

test.describe.serial("evacuate a host", () => {
  test("the hosts page plans the evacuation, moves what can go, keeps what cannot with the reason, and sets maintenance", async ({ page, request }) => {
    await labHostId(request, headers, "b");
    const c = await labHostId(request, headers, "c");
    await login(page);
    await page.goto("/hosts");
    await page.getByRole("button", { name: "Evacuate lab-c" }).click();
    const dialog = page.getByRole("dialog", { name: "Evacuate lab-c" });
    await expect(dialog.getByTestId("evacuation-summary")).toHaveText("3 of 4 containers move; 1 stays on lab-c.", { timeout: 60_000 });
    const plan = dialog.getByRole("table", { name: "Evacuation plan" });
    await expect(plan.locator("tbody tr td:first-child")).toHaveText(COUNTERS);
    const blocked = dialog.getByTestId(`plan-row-${BLOCKED}`);
    await expect(blocked).toContainText("stays");
    await expect(blocked).toContainText(/no host can take it: .*lab-b: the name "e2e-evac-4" is taken on lab-b/);
    await expect(blocked).toContainText(/local: the name "e2e-evac-4" is taken on local/);
    // Spread by free budget: the three go to local and lab-b, the table says how many each takes.
    const takes = async (name: string) => Number(await dialog.getByTestId(`evacuation-target-${name}`).locator("td").nth(1).textContent());
    expect((await takes("local")) + (await takes("lab-b"))).toBe(3);
    await dialog.screenshot({ path: "test-results/evacuate-dialog.png" });
    await dialog.getByRole("button", { name: "Evacuate lab-c (3)" }).click();

    await expect(page).toHaveURL(/\/migrations\/[a-z0-9]+$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Evacuation of lab-c → /);
    // Not every container moved, so the batch ends "failed" (as any batch with a skipped item), with the reason on the item.
    await expect(page.getByTestId("batch-status")).toHaveText("failed", { timeout: 90_000 });
    await expect(page.getByTestId("count-done")).toContainText("3");
    await expect(page.getByTestId(`item-${BLOCKED}`).getByTestId("item-status")).toHaveText("skipped");
    await expect(page.getByTestId(`item-${BLOCKED}`)).toContainText("no host can take it");
    const byTarget = page.getByRole("table", { name: "Figures per target host" });
    await expect(byTarget).toBeVisible();
    await page.screenshot({ path: "test-results/evacuation-live.png", fullPage: true });

    // Each moved counter runs on the host its row names and went on counting; the blocked one never stopped on C.
    const migrationId = new URL(page.url()).pathname.split("/").pop()!;
    const m = (await (await request.get(`/api/v1/migrations/${migrationId}`, { headers })).json()) as { items: { name: string; status: string; targetHostName: string | null }[]; evacuatedHost: { id: string } };
    expect(m.evacuatedHost.id).toBe(c);
    for (const i of m.items.filter((x) => x.name !== BLOCKED)) {
      expect(i.status).toBe("done");
      const which: LabHost = i.targetHostName === "lab-b" ? "b" : "a";
      expect(i.targetHostName === "lab-b" || i.targetHostName === "local", i.name).toBe(true);
      await expect(page.getByTestId(`item-${i.name}`)).toContainText(`lab-c → ${i.targetHostName}`);
      const values = await untilCounted(which, i.name, 2);
      expect(values[0], `${i.name} continued on ${i.targetHostName} instead of starting again at 1`).toBeGreaterThan(3);
      await expect(labDocker("c").getContainer(ids[i.name]!).inspect()).rejects.toThrow();
    }
    const before = (await counterValues("c", ids[BLOCKED]!)).at(-1)!;
    await expect.poll(async () => (await counterValues("c", ids[BLOCKED]!)).at(-1)!, { timeout: 15_000 }).toBeGreaterThan(before);

    // lab-c is in maintenance: the hosts page says so, and ends it on request.
    await page.goto("/hosts");
    await expect(page.getByTestId("maintenance-lab-c")).toBeVisible();
    await page.getByRole("button", { name: "End maintenance of lab-c" }).click();
    await expect(page.getByTestId("maintenance-lab-c")).toHaveCount(0);
  });

  test("POST /api/v1/hosts/{id}/evacuate: a dry run answers the plan and changes nothing; bad targets are named", async ({ request }) => {
    const c = await labHostId(request, headers, "c");
    const b = await labHostId(request, headers, "b");
    const dry = await request.post(`/api/v1/hosts/${c}/evacuate`, { headers, data: { dryRun: true, targetHostIds: [b] } });
    expect(dry.status()).toBe(200);
    const body = (await dry.json()) as { migration: null; plan: { items: { name: string; errors: string[] }[]; targets: { name: string }[] } };
    expect(body.migration).toBeNull();
    expect(body.plan.targets.map((t) => t.name)).toEqual(["lab-b"]);
    expect(body.plan.items.map((i) => [i.name, i.errors])).toEqual([[BLOCKED, [`no host can take it: lab-b: the name "${BLOCKED}" is taken on lab-b (choose "rename" to add a suffix)`]]]);
    expect((await hosts(request)).find((h) => h.id === c)!.maintenance).toBe(false);

    const self = await request.post(`/api/v1/hosts/${c}/evacuate`, { headers, data: { dryRun: true, targetHostIds: [c] } });
    expect(self.status()).toBe(400);
    expect(((await self.json()) as { error: { message: string } }).error.message).toBe("Unknown or wrong target host: targetHostIds.0: lab-c is the host being evacuated");
    const unknown = await request.post(`/api/v1/hosts/nope-no-host/evacuate`, { headers, data: { dryRun: true } });
    expect(unknown.status()).toBe(404);
    const extra = await request.post(`/api/v1/hosts/${c}/evacuate`, { headers, data: { dryRun: true, force: true } });
    expect(extra.status()).toBe(400);
    expect(((await extra.json()) as { error: { message: string } }).error.message).toMatch(/Unknown field\(s\): force/);
  });
});

test.afterAll(async () => {
  for (const which of ["a", "b", "c"] as const)
    for (const n of COUNTERS) await labDocker(which).getContainer(n).remove({ force: true }).catch(() => undefined);
});
