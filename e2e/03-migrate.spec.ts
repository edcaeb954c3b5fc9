import { expect, test, type APIRequestContext, type BrowserContext } from "@playwright/test";
import { counterValues, labDocker, startCounter, untilCounted } from "../tests/support/lab";
import { login } from "./helpers";

/** The session cookie, and Ferry's Origin as its pages send it (changes with the cookie need it). */
async function cookieHeader(context: BrowserContext, origin: string) {
  const s = (await context.cookies()).find((c) => c.name === "ferry_session")!;
  return { Cookie: `ferry_session=${s.value}`, Origin: origin };
}

async function hostIds(request: APIRequestContext, headers: Record<string, string>) {
  const hosts = ((await (await request.get("/api/v1/hosts", { headers })).json()) as { hosts: { id: string; name: string }[] }).hosts;
  let b = hosts.find((h) => h.name === "lab-b");
  if (!b) b = (await (await request.post("/api/v1/hosts", { headers, data: { name: "lab-b", endpoint: "unix:///run/ferry-lab-b.sock" } })).json()) as { id: string; name: string };
  return { local: hosts.find((h) => h.name === "local")!.id, b: b.id };
}

test.describe.serial("migration", () => {
  test.beforeEach(async ({ page }) => login(page));

  test("select 3 containers, migrate them to B and watch them finish live; each counter continues, in the table's order", async ({ page, context, request, baseURL }) => {
    const session = await cookieHeader(context, baseURL!);
    await hostIds(request, session);
    await page.goto("/containers");
    await page.getByLabel("Search containers").fill("e2e-counter");
    await expect(page.getByTestId("container-row")).toHaveCount(3);
    // The order a user sees (host, then name); Docker lists them newest first, the other way round.
    const shown = (await page.getByTestId("container-row").getByRole("checkbox").evaluateAll((boxes) => boxes.map((b) => b.getAttribute("aria-label")))).map(
      (label) => /^Select (.+) on /.exec(label ?? "")?.[1],
    );
    expect(shown).toEqual(["e2e-counter-1", "e2e-counter-2", "e2e-counter-3"]);
    await page.getByLabel("Select all shown containers").check();
    await page.getByRole("button", { name: "Migrate selected" }).click();

    const dialog = page.getByRole("dialog", { name: "Migrate 3 containers" });
    await dialog.getByLabel("Target host").selectOption({ label: "lab-b" });
    await dialog.getByText("Keep the source containers").click();
    // One at a time, so the order they move in is the order they start in.
    await dialog.getByLabel("Concurrency").fill("1");
    // Pre-flight runs by itself (on opening and after each change): no "Check plan" to press.
    await expect(dialog.getByTestId("plan-summary")).toContainText("3 of 3 can move to lab-b");
    const plan = dialog.getByRole("table", { name: "Migration plan" });
    await expect(plan.getByText("ready")).toHaveCount(3);
    await expect(plan.locator("tbody tr td:first-child")).toHaveText(shown as string[]);
    await dialog.screenshot({ path: "test-results/migrate-dialog.png" });
    await dialog.getByRole("button", { name: "Start migration (3)" }).click();

    await expect(page).toHaveURL(/\/migrations\/[a-z0-9]+$/);
    const migrationId = new URL(page.url()).pathname.split("/").pop()!;
    // No reload from here on: the page follows the batch over the socket.
    await expect(page.getByTestId("batch-status")).toHaveText("done", { timeout: 90_000 });
    for (let i = 1; i <= 3; i++) {
      const row = page.getByTestId(`item-e2e-counter-${i}`);
      await expect(row.getByTestId("item-status")).toHaveText("done");
      await expect(row.getByTestId("item-downtime")).toHaveText(/\d+(\.\d+)? (ms|s)/);
    }
    await expect(page.getByTestId("count-done")).toContainText("3");
    await page.screenshot({ path: "test-results/migration-live.png", fullPage: true });

    // What a user would check on the hosts: running on B, continuing from where A stopped.
    for (let i = 1; i <= 3; i++) {
      const name = `e2e-counter-${i}`;
      await untilCounted("b", name);
      const onB = await labDocker("b").getContainer(name).inspect();
      expect(onB.State.Running).toBe(true);
      const onA = await labDocker("a").getContainer(name).inspect();
      expect(onA.State.Running).toBe(false); // kept, stopped
      const a = await counterValues("a", name);
      const b = await counterValues("b", name);
      expect(b[0], `${name}: first on B follows last on A`).toBe(a.at(-1)! + 1);
    }
    // The batch kept the table's order, and moved in it: seq 0, 1, 2 and each checkpoint after the one before.
    const batch = (await (await request.get(`/api/v1/migrations/${migrationId}`, { headers: session })).json()) as {
      items: { seq: number; name: string; phases: { name: string; startedAt: string }[] }[];
    };
    expect(batch.items.map((i) => [i.seq, i.name])).toEqual(shown.map((name, seq) => [seq, name]));
    const checkpoints = batch.items.map((i) => Date.parse(i.phases.find((p) => p.name === "checkpoint")!.startedAt));
    expect(checkpoints, "checkpoint start times in the table's order").toEqual([...checkpoints].sort((a, b) => a - b));

    await page.goto("/containers");
    await page.getByLabel("Search containers").fill("e2e-counter");
    await page.getByLabel("Filter by host").selectOption({ label: "lab-b" });
    await expect(page.getByTestId("container-row")).toHaveCount(3);

    // The copies kept (stopped) on A: pre-flight says why none can move, and Start stays disabled.
    await page.getByLabel("Filter by host").selectOption({ label: "local" });
    await expect(page.getByTestId("container-row")).toHaveCount(3);
    await page.getByLabel("Select all shown containers").check();
    await page.getByRole("button", { name: "Migrate selected" }).click();
    const again = page.getByRole("dialog", { name: "Migrate 3 containers" });
    await again.getByLabel("Target host").selectOption({ label: "lab-b" });
    await expect(again.getByTestId("plan-summary")).toContainText("0 of 3 can move to lab-b");
    const planAgain = again.getByRole("table", { name: "Migration plan" });
    await expect(planAgain.getByText(/only running containers can be live-migrated/)).toHaveCount(3);
    await expect(planAgain.getByText(/the name "e2e-counter-1" is taken on lab-b/)).toBeVisible();
    await expect(again.getByRole("button", { name: "Start migration (0)" })).toBeDisabled();
    // Changing an option checks again by itself: the taken names become renames.
    await again.getByLabel("Name taken on target").selectOption({ label: "Rename (add -migrated)" });
    await expect(planAgain.getByText('will be named "e2e-counter-1-migrated" on lab-b')).toBeVisible();
    await expect(planAgain.getByText(/is taken on lab-b/)).toHaveCount(0);
    await expect(again.getByRole("button", { name: "Start migration (0)" })).toBeDisabled();
    // And it can be re-run by hand.
    await again.getByRole("button", { name: "Check again" }).click();
    await expect(again.getByTestId("plan-summary")).toContainText("0 of 3 can move to lab-b");
    await again.getByRole("button", { name: "Close" }).click();
    await expect(again).toBeHidden();
  });

  test("the REST API: bearer token from Settings, 400 for bad input, 202 + status, 409 for a container in flight", async ({ page, request }) => {
    await page.goto("/settings");
    await page.getByLabel("Token name").fill("e2e-script");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-token").innerText()).trim();
    expect(token).toMatch(/^ferry_[A-Za-z0-9_-]{40,}$/);
    const headers = { Authorization: `Bearer ${token}` };
    const ids = await hostIds(request, headers);

    const bad = await request.post("/api/v1/migrations", { headers, data: { targetHostId: ids.b, items: [] } });
    expect(bad.status()).toBe(400);
    expect(((await bad.json()) as { error: { fields: Record<string, string[]> } }).error.fields.items).toEqual(["Select at least one container"]);
    const unknown = await request.post("/api/v1/migrations", { headers, data: { targetHostId: "nope", items: [{ hostId: ids.local, containerId: "x" }] } });
    expect(unknown.status()).toBe(400);

    const id = await startCounter("a", "e2e-api-counter");
    const created = await request.post("/api/v1/migrations", { headers, data: { targetHostId: ids.b, items: [{ hostId: ids.local, containerId: id }] } });
    expect(created.status()).toBe(202);
    const { id: migrationId } = (await created.json()) as { id: string };
    const again = await request.post("/api/v1/migrations", { headers, data: { targetHostId: ids.b, items: [{ hostId: ids.local, containerId: id }] } });
    expect(again.status()).toBe(409);

    let view: { status: string; items: { status: string; downtimeMs: number; phases: { name: string }[]; targetContainerId: string }[] } | undefined;
    await expect
      .poll(
        async () => {
          view = await (await request.get(`/api/v1/migrations/${migrationId}`, { headers })).json();
          return view!.status;
        },
        { timeout: 60_000 },
      )
      .toBe("done");
    expect(view!.items[0]!.phases.map((p) => p.name)).toEqual(["preflight", "image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup"]);
    expect(view!.items[0]!.downtimeMs).toBeGreaterThan(0);
    expect((await labDocker("b").getContainer(view!.items[0]!.targetContainerId).inspect()).State.Running).toBe(true);
    expect((await request.post(`/api/v1/migrations/${migrationId}/cancel`, { headers })).status()).toBe(202);

    await page.goto("/settings");
    await page.getByRole("button", { name: "Revoke e2e-script" }).click();
    await expect(page.getByRole("table", { name: "API tokens" })).not.toContainText("e2e-script");
    expect((await request.get("/api/v1/hosts", { headers })).status()).toBe(401);
  });
});
