import { expect, test, type APIRequestContext } from "@playwright/test";
import { io } from "socket.io-client";
import { actionId, ADMIN, login } from "./helpers";


/** Connects a socket.io client with the given Cookie header; resolves "connected" or the error. */
function trySocket(baseURL: string, cookie?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = io(baseURL, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: cookie ? { Cookie: cookie } : {} });
    const done = (r: string) => {
      s.close();
      resolve(r);
    };
    s.on("connect", () => done("connected"));
    s.on("connect_error", (e) => done(`refused: ${e.message}`));
    setTimeout(() => done("timeout"), 10_000);
  });
}

async function hostNames(request: APIRequestContext, cookie: string): Promise<string[]> {
  const res = await request.get("/api/v1/hosts", { headers: { Cookie: cookie } });
  expect(res.status()).toBe(200);
  return ((await res.json()) as { hosts: { name: string }[] }).hosts.map((h) => h.name);
}

test.describe.serial("authentication", () => {
  test("first start: every page sends a visitor to create the admin account", async ({ page }) => {
    for (const path of ["/", "/containers", "/hosts", "/login"]) {
      await page.goto(path);
      await expect(page).toHaveURL(/\/setup$/);
    }
    await expect(page.getByRole("heading", { name: "Create the admin account" })).toBeVisible();
  });

  test("setup refuses a short password, then creates the admin and signs in", async ({ page }) => {
    await page.goto("/setup");
    await page.getByLabel("User name").fill(ADMIN.username);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Repeat password").fill("short");
    // Browser validation (minLength) stops a short password; remove it to check the server's own check.
    await page.locator("#f-password").evaluate((el) => el.removeAttribute("minlength"));
    await page.getByRole("button", { name: "Create the admin account" }).click();
    await expect(page.getByText("Use at least 10 characters")).toBeVisible();

    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByLabel("Repeat password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create the admin account" }).click();
    await expect(page).toHaveURL(/\/containers$/);
    await expect(page.getByRole("heading", { name: "Containers" })).toBeVisible();
    await expect(page.getByText(`Signed in as ${ADMIN.username}`)).toBeVisible();

    // The setup page is closed for good once an account exists.
    await page.goto("/setup");
    await expect(page).not.toHaveURL(/\/setup$/);
  });

  test("a wrong password is refused; logout ends the session everywhere", async ({ page, context, request, baseURL }) => {
    await page.goto("/login");
    await page.getByLabel("User name").fill(ADMIN.username);
    await page.getByLabel("Password").fill("wrong-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("form").getByRole("alert")).toHaveText("Wrong user name or password");

    await login(page);
    const cookie = (await context.cookies()).find((c) => c.name === "ferry_session");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Lax");
    const header = `ferry_session=${cookie!.value}`;
    expect(await trySocket(baseURL!, header)).toBe("connected");
    expect(await hostNames(request, header)).toContain("local");

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    // The old cookie is worthless now: API, socket and pages refuse it.
    expect((await request.get("/api/v1/hosts", { headers: { Cookie: header } })).status()).toBe(401);
    expect(await trySocket(baseURL!, header)).toBe("refused: unauthenticated");
    await page.goto("/containers");
    await expect(page).toHaveURL(/\/login/);
  });

  test("logged out: pages, API routes, server actions and the socket are refused", async ({ request, page, baseURL }) => {
    const forged = "ferry_session=forged-token-value";
    for (const cookie of [undefined, forged]) {
      const headers = cookie ? { Cookie: cookie } : undefined;
      const pageRes = await request.get("/hosts", { headers, maxRedirects: 0 });
      expect(pageRes.status(), `GET /hosts with ${cookie ?? "no cookie"}`).toBeGreaterThanOrEqual(300);
      expect(pageRes.status()).toBeLessThan(400);
      expect(pageRes.headers()["location"]).toMatch(/\/login/);
      expect(await pageRes.text()).not.toContain("unix:///var/run/docker.sock");

      for (const path of ["/api/v1/hosts", "/api/v1/hosts/x/containers"]) {
        expect((await request.get(path, { headers })).status(), `GET ${path}`).toBe(401);
      }
      const post = await request.post("/api/v1/hosts", { headers, data: { name: "intruder", endpoint: "unix:///run/x.sock" } });
      expect(post.status()).toBe(401);
      expect(await trySocket(baseURL!, cookie)).toBe("refused: unauthenticated");
    }
    const bearer = await request.get("/api/v1/hosts", { headers: { Authorization: "Bearer not-a-valid-token-0123456789" } });
    expect(bearer.status()).toBe(401);

    // Server actions: a forged cookie gets past the first gate; the action itself must refuse.
    await login(page);
    const session = (await page.context().cookies()).find((c) => c.name === "ferry_session")!;
    const real = `ferry_session=${session.value}`;
    const local = ((await (await request.get("/api/v1/hosts", { headers: { Cookie: real } })).json()) as { hosts: { id: string; name: string }[] }).hosts.find(
      (h) => h.name === "local",
    )!;
    for (const cookie of [undefined, forged]) {
      const res = await request.post("/hosts", {
        headers: { ...(cookie ? { Cookie: cookie } : {}), "Next-Action": actionId("deleteHostAction"), "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component" },
        data: JSON.stringify([local.id]),
        maxRedirects: 0,
      });
      expect(res.status(), `deleteHostAction with ${cookie ?? "no cookie"}`).not.toBe(500);
    }
    expect(await hostNames(request, real)).toContain("local");
  });
});
