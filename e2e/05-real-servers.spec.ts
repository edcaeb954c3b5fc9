import { expect, test } from "@playwright/test";
import { execIn, SERVER_IMAGES, startContainer, waitFor } from "../tests/support/lab";
import { login } from "./helpers";

/** A real server moved from the browser (after the history specs, which read the counters' batch). */
test.describe.serial("real servers", () => {
  test.beforeEach(async ({ page }) => login(page));

  test("moves a real redis server from the browser: the page shows bytes moved and the rate, the data is on B", async ({ page }) => {
    const id = await startContainer("a", "e2e-redis", { Image: SERVER_IMAGES.redis });
    const cli = (which: "a" | "b", c: string, ...args: string[]) => execIn(which, c, ["redis-cli", ...args]);
    await waitFor("redis to answer", async () => (await cli("a", id, "PING")).stdout.trim() === "PONG");
    await cli("a", id, "EVAL", "for i=1,50000 do redis.call('SET','k'..i,i) end return 1", "0");
    const runId = /run_id:(\w+)/.exec((await cli("a", id, "INFO", "server")).stdout)?.[1];

    await page.goto("/containers");
    await page.getByLabel("Search containers").fill("e2e-redis");
    await expect(page.getByTestId("container-row")).toHaveCount(1);
    await page.getByLabel("Select all shown containers").check();
    await page.getByRole("button", { name: "Migrate selected" }).click();
    const dialog = page.getByRole("dialog", { name: "Migrate 1 container" });
    await dialog.getByLabel("Target host").selectOption({ label: "lab-b" });
    await expect(dialog.getByTestId("plan-summary")).toContainText("1 of 1 can move to lab-b", { timeout: 60_000 });
    await dialog.getByRole("button", { name: "Start migration (1)" }).click();

    await expect(page).toHaveURL(/\/migrations\/[a-z0-9]+$/);
    await expect(page.getByTestId("batch-status")).toHaveText("done", { timeout: 90_000 });
    const row = page.getByTestId("item-e2e-redis");
    await expect(row.getByTestId("item-moved")).toHaveText(/\d+(\.\d+)? MiB\s*\d+(\.\d+)? (KiB|MiB|GiB)\/s/);
    await page.screenshot({ path: "test-results/migration-redis.png", fullPage: true });

    expect(/run_id:(\w+)/.exec((await cli("b", "e2e-redis", "INFO", "server")).stdout)?.[1]).toBe(runId);
    expect((await cli("b", "e2e-redis", "DBSIZE")).stdout.trim()).toBe("50000");
  });
});
