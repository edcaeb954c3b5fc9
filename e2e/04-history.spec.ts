import { expect, test } from "@playwright/test";
import { CSV_COLUMNS, parseCsv } from "../lib/migration/stats";
import { login } from "./helpers";

type View = { id: string; items: { name: string; status: string; downtimeMs: number | null; bytesMoved: number; phases: { name: string }[] }[] };

test.describe.serial("history", () => {
  test.beforeEach(async ({ page }) => login(page));

  test("the history shows the browser's 3-container migration; the timeline, charts and exports agree", async ({ page, context, request }) => {
    await page.goto("/history");
    const row = page.getByTestId("history-row").filter({ hasText: "admin" }).first();
    await expect(row).toContainText("local → lab-b");
    await expect(row.locator("td").nth(4)).toHaveText("3"); // done
    for (const id of ["downtime", "per-day", "throughput", "success"]) {
      const chart = page.getByTestId(`chart-${id}`);
      await expect(chart.locator("svg.recharts-surface").first()).toBeVisible();
      expect(await chart.locator(".recharts-bar-rectangle path, .recharts-rectangle, .recharts-line-curve, .recharts-line-dot").count(), `${id} has marks`).toBeGreaterThan(0);
    }
    await page.screenshot({ path: "test-results/history.png", fullPage: true });

    await row.getByRole("link").click();
    await expect(page).toHaveURL(/\/migrations\/[a-z0-9]+$/);
    const id = page.url().split("/").pop()!;
    await expect(page.getByTestId("timeline")).toBeVisible();
    for (let i = 1; i <= 3; i++) {
      await expect(page.getByTestId(`timeline-e2e-counter-${i}`).locator("[data-phase]")).toHaveCount(8);
      const phases = await page.getByTestId(`timeline-e2e-counter-${i}`).locator("[data-phase]").evaluateAll((els) => els.map((e) => e.getAttribute("data-phase")));
      expect(phases).toEqual(["preflight", "image-sync", "create", "checkpoint", "transfer", "restore", "verify", "cleanup"]);
    }
    for (const chartId of ["downtime", "phases"]) {
      expect(await page.getByTestId(`chart-${chartId}`).locator(".recharts-bar-rectangle path, .recharts-rectangle").count(), `${chartId} marks`).toBeGreaterThan(0);
    }
    await page.screenshot({ path: "test-results/migration-detail.png", fullPage: true });

    // Downloads from the page's own links, parsed back to the same numbers as the API.
    const s = (await context.cookies()).find((c) => c.name === "ferry_session")!;
    const headers = { Cookie: `ferry_session=${s.value}` };
    const api = (await (await request.get(`/api/v1/migrations/${id}`, { headers })).json()) as View;
    const [jsonDl] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export JSON" }).click()]);
    const json = JSON.parse(await (await import("node:fs/promises")).readFile((await jsonDl.path())!, "utf8")) as View;
    expect(json.items.map((i) => [i.name, i.status, i.downtimeMs, i.bytesMoved])).toEqual(api.items.map((i) => [i.name, i.status, i.downtimeMs, i.bytesMoved]));
    const [csvDl] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    expect(csvDl.suggestedFilename()).toMatch(/^ferry-migration-\d{4}-\d{2}-\d{2}-[a-z0-9]+\.csv$/);
    const rows = parseCsv(await (await import("node:fs/promises")).readFile((await csvDl.path())!, "utf8"));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => [r[0], r[3], Number(r[4]), Number(r[5])])).toEqual(api.items.map((i) => [i.name, i.status, i.downtimeMs, i.bytesMoved]));
  });

  test("filters narrow the history and say so when nothing matches", async ({ page }) => {
    await page.goto("/history?outcome=cancelled");
    await expect(page.getByText("No migration matches these filters.")).toBeVisible();
    await page.goto("/history?from=2000-01-01&to=2000-01-02");
    await expect(page.getByText("No migration matches these filters.")).toBeVisible();
    await page.goto("/history");
    await page.getByLabel("Outcome").selectOption("done");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/outcome=done/);
    await expect(page.getByTestId("history-row").first()).toBeVisible();
  });
});
