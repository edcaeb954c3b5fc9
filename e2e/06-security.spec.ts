import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { io, type Socket } from "socket.io-client";
import { actionId, ADMIN, database, ensureAdmin, login, sessionId } from "./helpers";

/**
 * The reviewer's attacks against the built server, each as the attacker or the user would see it.
 * Wrong guesses come from their own loopback addresses (127.0.0.11, 127.0.0.12; Linux routes all
 * of 127/8 to this machine), so the other specs' sign-ins from 127.0.0.1 are never limited.
 */

const FOREIGN = "http://127.0.0.1:1"; // another port of the same host: same site, other origin
const TOO_MANY = /^Too many failed sign-ins: try again in \d+ s$/;
const WRONG = "Wrong user name or password";


/** A TCP relay whose connections to Ferry leave from `localAddress`: a browser seen as another client. */
async function relayFrom(localAddress: string, port: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port, localAddress });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Calls loginAction as the browser's form does (the same multipart fields React sends), from
 * `localAddress`. Returns the form's message, the session cookie and where it redirects.
 */
function rawLogin(baseURL: string, localAddress: string, password: string, next = "") {
  const boundary = `----ferry${Math.random().toString(16).slice(2)}`;
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  // "0" last: it refers to the form fields ("$K1"), which must have arrived before it.
  const body = part("_1_next", next) + part("_1_username", ADMIN.username) + part("_1_password", password) + part("0", '[{},"$K1"]') + `--${boundary}--\r\n`;
  return new Promise<{ message: string | null; cookie: string | null; redirect: string | null }>((resolve, reject) => {
    const req = http.request(
      new URL("/login", baseURL),
      {
        method: "POST",
        localAddress,
        headers: {
          "Next-Action": actionId("loginAction"),
          Accept: "text/x-component",
          Origin: baseURL,
          "Content-Type": `multipart/form-data; boundary=${boundary}`,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () =>
          resolve({
            message: /"message":"([^"]*)"/.exec(text)?.[1] ?? null,
            cookie: /ferry_session=([^;]+)/.exec((res.headers["set-cookie"] ?? []).join("\n"))?.[1] ?? null,
            redirect: (res.headers["x-action-redirect"] as string | undefined) ?? null,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function sessionCookie(page: Page): Promise<string> {
  const c = (await page.context().cookies()).find((x) => x.name === "ferry_session");
  if (!c) throw new Error("not signed in");
  return c.value;
}

function openSocket(baseURL: string, token: string, headers: Record<string, string> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(baseURL, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: { Cookie: `ferry_session=${token}`, ...headers } });
    s.on("connect", () => resolve(s));
    s.on("connect_error", (e) => {
      s.close();
      reject(e);
    });
  });
}

// Prisma's SQLite adapter stores dates as ISO text with "+00:00"; written the same way, they compare as text.
const sqlDate = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");

test.beforeAll(async ({ browser, baseURL }) => ensureAdmin(browser, baseURL!));

test.describe("sign-in rate limit", () => {
  test("rotating X-Forwarded-For buys no extra guesses; then even the right password is refused", async ({ browser, baseURL, page }) => {
    const relay = await relayFrom("127.0.0.11", Number(new URL(baseURL!).port));
    const context = await browser.newContext({ baseURL: relay.url });
    try {
      const attacker = await context.newPage();
      const messages: string[] = [];
      for (let i = 1; i <= 11; i++) {
        // A new claimed address every time, and a try at Ferry's own internal header too.
        await context.setExtraHTTPHeaders({ "X-Forwarded-For": `198.51.100.${i}`, "X-Ferry-Client-Address": `203.0.113.${i}` });
        await attacker.goto("/login");
        await attacker.getByLabel("User name").fill(ADMIN.username);
        await attacker.getByLabel("Password").fill(`wrong-guess-${i}`);
        await attacker.getByRole("button", { name: "Sign in" }).click();
        const alert = attacker.locator("form").getByRole("alert");
        await expect(alert).toHaveText(new RegExp(`${WRONG}|Too many failed sign-ins`));
        messages.push(await alert.innerText());
      }
      expect(messages.slice(0, 10)).toEqual(Array(10).fill(WRONG));
      expect(messages[10]).toMatch(TOO_MANY);

      await attacker.goto("/login");
      await attacker.getByLabel("User name").fill(ADMIN.username);
      await attacker.getByLabel("Password").fill(ADMIN.password);
      await attacker.getByRole("button", { name: "Sign in" }).click();
      await expect(attacker.locator("form").getByRole("alert")).toHaveText(TOO_MANY);
      await expect(attacker).toHaveURL(/\/login$/);
      expect((await context.cookies()).find((c) => c.name === "ferry_session")).toBeUndefined();
    } finally {
      await context.close();
      await relay.close();
    }
    // The limit is the attacker's: the admin signs in from their own address as usual.
    await login(page);
  });

  test("25 wrong guesses at once: only 10 are checked; then the right password is refused", async ({ baseURL }) => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => rawLogin(baseURL!, "127.0.0.12", `parallel-guess-${i}`)));
    const messages = results.map((r) => r.message ?? "");
    expect(messages.filter((m) => m === WRONG)).toHaveLength(10);
    expect(messages.filter((m) => TOO_MANY.test(m))).toHaveLength(15);
    expect(results.every((r) => r.cookie === null)).toBe(true);

    const right = await rawLogin(baseURL!, "127.0.0.12", ADMIN.password);
    expect(right.message).toMatch(TOO_MANY);
    expect(right.cookie).toBeNull();
    // The same request from an address without failures signs in (the raw call is a real sign-in).
    const elsewhere = await rawLogin(baseURL!, "127.0.0.13", ADMIN.password);
    expect(elsewhere.cookie).toBeTruthy();
  });
});

test.describe("another origin on the same host", () => {
  test("an API call with the session cookie from a foreign Origin is refused, reads included; bodies must be JSON", async ({ page, request }) => {
    await login(page);
    const cookie = `ferry_session=${await sessionCookie(page)}`;
    const body = { name: "evil-host", endpoint: "unix:///run/evil.sock" };

    const foreignPost = await request.post("/api/v1/hosts", { headers: { Cookie: cookie, Origin: FOREIGN }, data: body });
    expect(foreignPost.status()).toBe(403);
    expect(((await foreignPost.json()) as { error: { code: string } }).error.code).toBe("FOREIGN_ORIGIN");
    const own = new URL(page.url()).origin;
    const textPlain = await request.post("/api/v1/hosts", { headers: { Cookie: cookie, Origin: own, "Content-Type": "text/plain" }, data: JSON.stringify(body) });
    expect(textPlain.status()).toBe(415);
    expect((await request.get("/api/v1/hosts", { headers: { Cookie: cookie, Origin: FOREIGN } })).status()).toBe(403);
    // Ferry's own origin gets past the check (to the validation, so nothing is created).
    const invalid = await request.post("/api/v1/hosts", { headers: { Cookie: cookie, Origin: own }, data: { name: "", endpoint: "x" } });
    expect(invalid.status()).toBe(400);

    const hosts = (await (await request.get("/api/v1/hosts", { headers: { Cookie: cookie } })).json()) as { hosts: { name: string }[] };
    expect(hosts.hosts.map((h) => h.name)).not.toContain("evil-host");
  });

  test("a page on another port cannot register a host or open the socket with the user's cookie", async ({ page, baseURL, request }) => {
    await login(page);
    const cookie = `ferry_session=${await sessionCookie(page)}`;
    const evil = http.createServer((_req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>elsewhere</title><p>hello"));
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const outcome = await page.evaluate(async (target) => {
        // A "simple" request: no preflight, and SameSite=Lax sends the cookie (same site).
        await fetch(`${target}/api/v1/hosts`, {
          method: "POST",
          mode: "no-cors",
          credentials: "include",
          headers: { "Content-Type": "text/plain" },
          body: JSON.stringify({ name: "evil-from-page", endpoint: "unix:///run/evil.sock" }),
        }).catch(() => undefined);
        // socket.io by hand: engine.io open ("0…"), then CONNECT ("40"), answered by "40{sid}" when it lets us in.
        return new Promise<string>((resolve) => {
          const ws = new WebSocket(`${target.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`);
          ws.onmessage = (e) => {
            const data = String(e.data);
            if (data.startsWith("0")) ws.send("40");
            else if (data.startsWith("40")) resolve(`connected ${data}`);
            else if (data.startsWith("44")) resolve(`refused ${data}`);
          };
          ws.onerror = () => resolve("error");
          ws.onclose = () => resolve("closed");
          setTimeout(() => resolve("timeout"), 10_000);
        });
      }, baseURL!);
      expect(outcome).not.toMatch(/^connected/);
    } finally {
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
    const names = ((await (await request.get("/api/v1/hosts", { headers: { Cookie: cookie } })).json()) as { hosts: { name: string }[] }).hosts.map((h) => h.name);
    expect(names).not.toContain("evil-from-page");
  });

  test("the socket refuses a foreign Origin even with a valid cookie", async ({ page, baseURL }) => {
    await login(page);
    const token = await sessionCookie(page);
    const attempt = (origin: string) =>
      openSocket(baseURL!, token, { Origin: origin }).then(
        (s) => (s.close(), "connected"),
        (e: Error) => `refused: ${e.message}`,
      );
    expect(await attempt(FOREIGN)).toBe("refused: websocket error");
    expect(await attempt(baseURL!)).toBe("connected");
  });

  test("server actions: Next refuses a foreign Origin (verified with sign-out)", async ({ page, request, baseURL }) => {
    await login(page);
    const cookie = `ferry_session=${await sessionCookie(page)}`;
    const signOut = (origin: string) =>
      request.post("/containers", {
        headers: { Cookie: cookie, Origin: origin, "Next-Action": actionId("logoutAction"), "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component" },
        data: "[]",
        maxRedirects: 0,
      });
    await signOut(FOREIGN);
    expect((await request.get("/api/v1/hosts", { headers: { Cookie: cookie } })).status()).toBe(200);
    await signOut(baseURL!); // the control: from Ferry's own origin it does sign out
    expect((await request.get("/api/v1/hosts", { headers: { Cookie: cookie } })).status()).toBe(401);
  });
});

test.describe("after sign-in", () => {
  const attacks = ["/\\evil.example", "/\t/evil.example", "//evil.example", "/..//evil.example", "https://evil.example/"];

  test("next= never leaves the site", async ({ browser, baseURL }) => {
    for (const next of attacks) {
      const context = await browser.newContext({ baseURL });
      const page = await context.newPage();
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      await page.getByLabel("User name").fill(ADMIN.username);
      await page.getByLabel("Password").fill(ADMIN.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page, JSON.stringify(next)).toHaveURL(`${baseURL}/containers`);
      await context.close();
      // Posted straight to the action, bypassing the page's own check of next=.
      const raw = await rawLogin(baseURL!, "127.0.0.1", ADMIN.password, next);
      expect(raw.redirect, JSON.stringify(next)).toMatch(/^\/containers(;|$)/);
    }
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    await page.goto(`/login?next=${encodeURIComponent("/history?outcome=done")}`);
    await page.getByLabel("User name").fill(ADMIN.username);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${baseURL}/history?outcome=done`);
    await context.close();
  });
});

test.describe("history dates", () => {
  test("from=2024-99-99: 400 with the field in the API, a readable error on the page", async ({ page, request }) => {
    await login(page);
    const cookie = `ferry_session=${await sessionCookie(page)}`;
    const res = await request.get("/api/v1/migrations?from=2024-99-99", { headers: { Cookie: cookie } });
    expect(res.status()).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; fields: Record<string, string[]> } };
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.fields.from).toEqual(["From must be a date (YYYY-MM-DD); “2024-99-99” is not one"]);
    expect((await request.get("/api/v1/migrations?to=2023-02-29", { headers: { Cookie: cookie } })).status()).toBe(400);
    expect((await request.get("/api/v1/migrations?from=2024-02-29&to=2024-03-01", { headers: { Cookie: cookie } })).status()).toBe(200);

    await page.goto("/history?from=2024-99-99");
    await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
    await expect(page.getByRole("alert").filter({ hasText: "From must be a date" })).toContainText("“2024-99-99” is not one");
    await expect(page.getByRole("form", { name: "Filter history" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Apply" })).toBeEnabled();
  });
});

test.describe("security headers", () => {
  test("on a page and an API response; the pages run under the CSP with socket.io connecting", async ({ page, request, baseURL }) => {
    const host = new URL(baseURL!).host;
    const check = (h: Record<string, string>, what: string) => {
      const csp = h["content-security-policy"] ?? "";
      expect(csp, what).toContain("frame-ancestors 'none'");
      expect(csp, what).toContain(`connect-src 'self' ws://${host} wss://${host}`);
      expect(csp, what).not.toContain("unsafe-eval");
      expect(h["x-content-type-options"], what).toBe("nosniff");
      expect(h["referrer-policy"], what).toBe("same-origin");
      expect(h["x-frame-options"], what).toBe("DENY");
    };
    check((await request.get("/login")).headers(), "GET /login");
    check((await request.get("/api/v1/hosts")).headers(), "GET /api/v1/hosts (401)");

    const violations: string[] = [];
    await page.exposeFunction("reportCsp", (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => (window as unknown as { reportCsp: (v: string) => void }).reportCsp(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await login(page);
    const cookie = `ferry_session=${await sessionCookie(page)}`;
    check((await request.get("/api/v1/hosts", { headers: { Cookie: cookie } })).headers(), "GET /api/v1/hosts (200)");
    for (const path of ["/containers", "/hosts", "/history", "/settings"]) {
      const res = await page.goto(path);
      check(res!.headers(), `page ${path}`);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    }
    // The policy lets the page reach socket.io on its own host.
    const ws = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const s = new WebSocket(`${location.origin.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`);
          s.onopen = () => resolve("open");
          s.onerror = () => resolve("error");
        }),
    );
    expect(ws).toBe("open");
    expect(violations).toEqual([]);
  });
});

test.describe("sockets end with their session", () => {
  test("sign-out in another browser disconnects the socket; it receives nothing after", async ({ browser, baseURL, page, request }) => {
    await login(page);
    const token = await sessionCookie(page);
    const otherPage = await browser.newPage({ baseURL });
    await login(otherPage);
    const otherCookie = { Cookie: `ferry_session=${await sessionCookie(otherPage)}` };
    const victim = await openSocket(baseURL!, token);
    const other = await openSocket(baseURL!, await sessionCookie(otherPage));
    const seen = { victim: 0, other: 0 };
    victim.on("hosts:changed", () => seen.victim++);
    other.on("hosts:changed", () => seen.other++);
    let disconnected = "";
    victim.on("disconnect", (why) => (disconnected = why));
    victim.emit("hosts:subscribe");
    other.emit("hosts:subscribe");

    // A change both sockets see while the session lives (registered again until the subscribe has landed).
    const created: string[] = [];
    await expect
      .poll(async () => {
        if (seen.victim === 0) {
          const res = await request.post("/api/v1/hosts", { headers: { ...otherCookie, Origin: baseURL! }, data: { name: `sec-events-${created.length}`, endpoint: "unix:///run/ferry-sec-none.sock" } });
          created.push(((await res.json()) as { id: string }).id);
        }
        return seen.victim;
      })
      .toBeGreaterThan(0);

    // Another browser with the same session signs out.
    const second = await browser.newContext({ baseURL });
    await second.addCookies([{ name: "ferry_session", value: token, url: baseURL! }]);
    const secondPage = await second.newPage();
    await secondPage.goto("/containers");
    await secondPage.getByRole("button", { name: "Sign out" }).click();
    await expect(secondPage).toHaveURL(/\/login$/);
    await expect.poll(() => disconnected).toBe("io server disconnect");
    await second.close();

    // The next changes (removing those hosts) reach the live session's socket only.
    const before = { ...seen };
    for (const id of created) {
      const del = await request.post("/hosts", {
        headers: { ...otherCookie, Origin: baseURL!, "Next-Action": actionId("deleteHostAction"), "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component" },
        data: JSON.stringify([id]),
      });
      expect(del.status()).toBe(200);
    }
    await expect.poll(() => seen.other).toBeGreaterThanOrEqual(before.other + created.length);
    expect(seen.victim).toBe(before.victim);
    expect(victim.connected).toBe(false);
    other.close();
    await otherPage.close();
  });

  test("a session deleted or expired behind the socket's back: the next subscribe, or the periodic check, disconnects it", async ({ page, baseURL }) => {
    test.setTimeout(90_000);
    const db = database();
    try {
      // Expired (the idle expiry passed): the next subscribe finds out.
      await login(page);
      const expired = await sessionCookie(page);
      const s1 = await openSocket(baseURL!, expired);
      db.prepare("UPDATE Session SET expiresAt = ? WHERE id = ?").run(sqlDate(Date.now() - 1000), sessionId(expired));
      let why1 = "";
      s1.on("disconnect", (w) => (why1 = w));
      s1.emit("hosts:subscribe");
      await expect.poll(() => why1).toBe("io server disconnect");

      // Deleted, and the socket does nothing: the server's periodic check (every 30 s) finds out.
      await page.context().clearCookies();
      await login(page);
      const deleted = await sessionCookie(page);
      const s2 = await openSocket(baseURL!, deleted);
      const started = Date.now();
      let why2 = "";
      s2.on("disconnect", (w) => (why2 = w));
      expect(db.prepare("DELETE FROM Session WHERE id = ?").run(sessionId(deleted)).changes).toBe(1);
      await expect.poll(() => why2, { timeout: 40_000 }).toBe("io server disconnect");
      expect(Date.now() - started).toBeLessThan(35_000);
    } finally {
      db.close();
    }
  });
});

test.describe("lesser limits", () => {
  test("a session ends at its absolute lifetime however much it is used", async ({ page, request }) => {
    const db = database();
    try {
      await login(page);
      const token = await sessionCookie(page);
      const cookie = { Cookie: `ferry_session=${token}` };
      const row = () =>
        db.prepare("SELECT createdAt, expiresAt, absoluteExpiresAt FROM Session WHERE id = ?").get(sessionId(token)) as
          | { createdAt: string; expiresAt: string; absoluteExpiresAt: string }
          | undefined;
      const r = row()!;
      const lifetime = Date.parse(r.absoluteExpiresAt) - Date.parse(r.createdAt);
      expect(Math.abs(lifetime - 7 * 24 * 3600 * 1000)).toBeLessThan(60_000); // FERRY_SESSION_MAX_AGE_HOURS default: 168
      const cookieExpiry = (await page.context().cookies()).find((c) => c.name === "ferry_session")!.expires * 1000;
      expect(Math.abs(cookieExpiry - Date.parse(r.absoluteExpiresAt))).toBeLessThan(5_000);

      // Used again after a while, one hour before its end: the idle expiry moves, but not past the end.
      const end = Date.now() + 3600 * 1000;
      db.prepare("UPDATE Session SET lastSeenAt = ?, absoluteExpiresAt = ? WHERE id = ?").run(sqlDate(Date.now() - 600_000), sqlDate(end), sessionId(token));
      expect((await request.get("/api/v1/hosts", { headers: cookie })).status()).toBe(200);
      expect(Date.parse(row()!.expiresAt)).toBeLessThanOrEqual(end);

      // Past the absolute end (the idle expiry still ahead): refused.
      db.prepare("UPDATE Session SET absoluteExpiresAt = ? WHERE id = ?").run(sqlDate(Date.now() - 1000), sessionId(token));
      expect((await request.get("/api/v1/hosts", { headers: cookie })).status()).toBe(401);
    } finally {
      db.close();
    }
  });

  test("a socket may hold at most 50 subscriptions", async ({ page, baseURL }) => {
    await login(page);
    const s = await openSocket(baseURL!, await sessionCookie(page));
    const refused: string[] = [];
    s.on("subscription:refused", (e) => refused.push(e.room));
    for (let i = 0; i < 60; i++) s.emit("migration:subscribe", `no-such-batch-${i}`);
    await expect.poll(() => refused.length).toBe(10);
    expect(refused[0]).toBe("migration:no-such-batch-50");
    expect(s.connected).toBe(true);
    s.close();
  });
});
