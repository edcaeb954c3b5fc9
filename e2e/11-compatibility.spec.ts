import { expect, test } from "@playwright/test";
import { isRunning, startCounter, untilCounted } from "../tests/support/lab";
import { labHostId, login, sessionHeaders } from "./helpers";

/**
 * Docker versions on the hosts page: lab host D (Docker 28.5.2) restores nothing, so the matrix
 * shows every pair into it failing with the versions and the cause, and the migrate dialog refuses
 * a batch to it before anything stops.
 */

let headers: Record<string, string> = {};
let dId = "";

test.beforeAll(async ({ browser, baseURL }) => {
  headers = await sessionHeaders(browser, baseURL!);
});

// The specs are done with D once this one ends: it leaves the host list as it found it.
test.afterAll(async ({ request }) => {
  if (dId) await request.delete(`/api/v1/hosts/${dId}`, { headers });
});

test.describe.serial("Docker versions", () => {
  test("the hosts page proves every pair: into Docker 28.5.2 fails with the versions and the cause; the others restore", async ({ page, request }) => {
    test.setTimeout(240_000);
    await labHostId(request, headers, "b");
    dId = await labHostId(request, headers, "d");
    await login(page);
    await page.goto("/hosts");
    const matrix = page.getByRole("table", { name: "Checkpoint/restore between hosts" });
    await expect(matrix).toBeVisible();
    await page.getByRole("button", { name: "Check every pair" }).click();
    await expect(page.getByRole("button", { name: "Check every pair" })).toBeEnabled({ timeout: 200_000 });
    await expect(page.getByTestId("pair-lab-b-lab-d")).toHaveText(/✕ fails/);
    await expect(page.getByTestId("pair-local-lab-b")).toHaveText(/✓ restores/);
    await expect(page.getByTestId("pair-lab-b-local")).toHaveText(/✓ restores/);
    // What the cell proved, on hover: the token and every socket kind back, and CRIU's own log.
    await expect(page.getByTestId("pair-local-lab-b")).toHaveAttribute("title", /with its token, TCP listener, TCP connection, unix socket, pipe, file and thread intact, and CRIU's restore log says it finished/);
    await expect(page.getByText(/lab-b → lab-d: lab-d runs Docker 28\.5\.2\S*, whose restore of a checkpoint from lab-b \(Docker 20\.10\.24\S*\) fails: .*bind-mount \/proc\/0\/ns\/net/)).toBeVisible();
    await matrix.screenshot({ path: "test-results/pair-matrix.png" });
  });

  test("a batch to Docker 28.5.2 is refused by pre-flight: Start stays off, the counter keeps running", async ({ page }) => {
    const id = await startCounter("a", "e2e-compat-counter");
    await untilCounted("a", id);
    await login(page);
    await page.goto("/containers");
    await page.getByLabel("Search containers").fill("e2e-compat-counter");
    await expect(page.getByTestId("container-row")).toHaveCount(1);
    await page.getByLabel("Select all shown containers").check();
    await page.getByRole("button", { name: "Migrate selected" }).click();
    const dialog = page.getByRole("dialog", { name: "Migrate 1 container" });
    await dialog.getByLabel("Target host").selectOption({ label: "lab-d" });
    await expect(dialog.getByTestId("plan-summary")).toContainText("0 of 1 can move to lab-d", { timeout: 60_000 });
    await expect(dialog.getByRole("table", { name: "Migration plan" })).toContainText(/lab-d runs Docker 28\.5\.2\S*, whose restore of a checkpoint from local \(Docker 20\.10\.24\S*\) fails/);
    await expect(dialog.getByRole("button", { name: /^Start migration/ })).toBeDisabled();
    expect(await isRunning("a", id)).toBe(true);
  });
});
