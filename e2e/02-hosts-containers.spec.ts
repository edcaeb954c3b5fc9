import { expect, test } from "@playwright/test";
import { login } from "./helpers";

test.describe.serial("hosts and containers", () => {
  test.beforeEach(async ({ page }) => login(page));

  test("the local host was registered on first start and is healthy", async ({ page }) => {
    await page.goto("/hosts");
    const row = page.getByTestId("host-row-local");
    await expect(row).toContainText("unix:///var/run/docker.sock");
    await expect(row).toContainText("healthy");
    await expect(row).toContainText("experimental on");
    await expect(row).toContainText("/var/lib/docker");
  });

  test("before any migration, the history says what to do", async ({ page }) => {
    await page.goto("/history");
    await expect(page.getByText("No migrations yet — select containers on the Containers page")).toBeVisible();
  });

  test("a bad endpoint in the form gets a clear error and is not saved", async ({ page }) => {
    await page.goto("/hosts");
    const form = page.getByRole("form", { name: "Register a host" });
    await form.getByLabel("Name").fill("broken");
    await form.getByLabel("Endpoint").fill("docker-b:2375");
    await form.getByRole("button", { name: "Register host" }).click();
    await expect(form.getByText(/is not an endpoint; use unix:\/\/\/path, tcp:\/\/host:port or ssh:\/\/user@host/).first()).toBeVisible();
    await expect(page.getByTestId("host-row-broken")).toHaveCount(0);

    await form.getByLabel("Endpoint").fill("unix:///run/ferry-no-such.sock");
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("alert")).toContainText("/run/ferry-no-such.sock does not exist (ENOENT)");
  });

  test("registers host B through the form, tests it, and sees its health", async ({ page }) => {
    await page.goto("/hosts");
    const form = page.getByRole("form", { name: "Register a host" });
    await form.getByLabel("Name").fill("lab-b");
    await form.getByLabel("Endpoint").fill("unix:///run/ferry-lab-b.sock");
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("status")).toContainText(/Reachable in \d+ ms/);
    await expect(form.getByRole("status")).toContainText("experimental on");
    await form.getByRole("button", { name: "Register host" }).click();
    await expect(form.getByRole("status")).toContainText(/Saved "lab-b" \(Docker 20\.10\.\d+\S*, API 1\.41\)/);
    const row = page.getByTestId("host-row-lab-b");
    await expect(row).toContainText("healthy");
    await expect(row).toContainText("/var/lib/ferry-lab-b/docker");
  });

  test("probes CRIU on host B and shows what it can checkpoint and restore", async ({ page }) => {
    await page.goto("/hosts");
    const row = page.getByTestId("host-row-lab-b");
    await expect(row).toContainText("not probed yet");
    await row.getByRole("button", { name: "Probe CRIU on lab-b" }).click();
    const caps = row.getByRole("list", { name: "CRIU capabilities of lab-b" });
    await expect(caps.getByRole("listitem")).toHaveCount(6, { timeout: 60_000 });
    for (const label of ["listening TCP socket", "established TCP connection", "unix socket", "pipe", "open file", "several threads"])
      await expect(caps.getByRole("listitem").filter({ hasText: label })).toContainText("works");
    await expect(row.getByTestId("criu-lab-b")).toContainText("checkpoint/restore ok");
    await expect(page.getByRole("status").filter({ hasText: "CRIU on lab-b moves everything the probe holds" })).toBeVisible();
  });

  test("the containers table shows the lab's counters, filters and selects", async ({ page }) => {
    await page.goto("/containers");
    const table = page.getByRole("table", { name: "Containers" });
    for (let i = 1; i <= 3; i++) {
      const row = table.getByRole("row").filter({ hasText: `e2e-counter-${i}` });
      await expect(row).toContainText("local");
      await expect(row).toContainText("ferry/counter:lab");
      await expect(row).toContainText("running");
    }
    await page.getByLabel("Search containers").fill("e2e-counter");
    await expect(page.getByTestId("container-row")).toHaveCount(3);

    await page.getByLabel("Filter by host").selectOption({ label: "lab-b" });
    await expect(page.getByTestId("container-row")).toHaveCount(0);
    await page.getByLabel("Filter by host").selectOption({ label: "local" });
    await expect(page.getByTestId("container-row")).toHaveCount(3);

    await expect(page.getByRole("button", { name: "Migrate selected" })).toBeDisabled();
    await page.getByLabel("Select all shown containers").check();
    await expect(page.getByTestId("selection-count")).toHaveText("3 selected");
    await page.getByLabel("Select e2e-counter-2 on local").uncheck();
    await expect(page.getByTestId("selection-count")).toHaveText("2 selected");
    await expect(page.getByRole("button", { name: "Migrate selected" })).toBeEnabled();

    // Sorting by name descending puts counter 3 before counter 1.
    await page.getByRole("button", { name: "Name" }).click();
    await page.getByRole("button", { name: /Name/ }).click();
    const names = await page.getByTestId("container-row").locator("td:nth-child(2)").allInnerTexts();
    expect(names[0]).toContain("e2e-counter-3");
    expect(names[2]).toContain("e2e-counter-1");
    await page.screenshot({ path: "test-results/containers.png", fullPage: true });
  });

  test("an unreachable host shows as an error, never as an empty host", async ({ page, request, context, baseURL }) => {
    const session = (await context.cookies()).find((c) => c.name === "ferry_session")!;
    const res = await request.post("/api/v1/hosts", {
      headers: { Cookie: `ferry_session=${session.value}`, Origin: baseURL! },
      data: { name: "gone", endpoint: "unix:///run/ferry-gone.sock" },
    });
    expect(res.status()).toBe(201);
    expect(await res.json()).toMatchObject({ name: "gone", healthStatus: "error" });
    await page.goto("/containers");
    await expect(page.getByRole("alert").filter({ hasText: "gone" })).toContainText("/run/ferry-gone.sock does not exist (ENOENT)");
    await page.goto("/hosts");
    await expect(page.getByTestId("host-row-gone")).toContainText("unreachable");
    await page.screenshot({ path: "test-results/hosts.png", fullPage: true });
  });
});
