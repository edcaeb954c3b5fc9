import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { expect, test, type APIRequestContext, type APIResponse, type Browser } from "@playwright/test";
import { io, type Socket } from "socket.io-client";
import { labDocker, LAB, startCounter } from "../tests/support/lab";
import { ADMIN, database, ensureAdmin, login, sessionId } from "./helpers";

/**
 * Every way into Ferry, found in the source tree when the test runs (no hand-kept list): route
 * handlers (app/**\/route.ts and the methods each exports), server actions (the exports of every
 * "use server" module, checked against the build's own manifest), socket events (the keys of
 * ClientToServerEvents) and pages (app/**\/page.tsx). Each must refuse a caller without a session or
 * token, and a cookie sent from another origin. A new route that is neither locked nor on the
 * PUBLIC list below fails this file.
 *
 * Then a table of bad inputs through the API and the actions: each must get a 4xx (actions: their
 * error state) that names the cause, and change nothing on the lab hosts or in the database.
 */

const FOREIGN = "http://127.0.0.1:1"; // another port of the same host: same site, other origin
const PROBE_ID = "lockprobe0000000000000001"; // stands in for [id] segments: a well-formed id of nothing
const FORGED = "ferry_session=forged-token-value-0000000000";

// ---------------------------------------------------------------------------------------------
// The allow-list: what may be reached without a session, and why. Everything else must refuse.
// ---------------------------------------------------------------------------------------------
const PUBLIC_PAGES: Record<string, string> = {
  "/login": "the sign-in form; shows nothing but the form (redirects to /setup while no account exists)",
  "/setup": "the first-start form to create the admin account; redirects to /login once any account exists",
};
const PUBLIC_ACTIONS: Record<string, string> = {
  loginAction: "signing in is what a caller without a session does; limited per address (e2e/06)",
  setupAction: "creates the first account only while none exists; afterwards answers 'exists already' (checked below)",
};
/** Files of public/ served to anyone: no data in them. */
const PUBLIC_FILES: Record<string, string> = {
  "icon.svg": "the app's icon, shown on the sign-in page too",
};
/** Next's files under app/ that are not routes of their own (they wrap or style a page). */
const NOT_ROUTES: Record<string, string> = {
  "layout.tsx": "wraps the pages below it (the dashboard layout checks the session)",
  "error.tsx": "a page's error boundary",
  "loading.tsx": "a page's loading state",
  "not-found.tsx": "the 404 page, rendered for a path no route matches",
  "globals.css": "styles, imported by the root layout",
};

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

/** The URL of a page or route file: route groups dropped, [param] replaced by PROBE_ID. */
function urlOf(file: string): string {
  const segments = path
    .dirname(path.relative("app", file))
    .split(path.sep)
    .filter((s) => s !== "." && !/^\(.*\)$/.test(s))
    .map((s) => (/^\[.*\]$/.test(s) ? PROBE_ID : s));
  return `/${segments.join("/")}`;
}

const APP_FILES = walk("app");
const PAGES = APP_FILES.filter((f) => path.basename(f) === "page.tsx").map((f) => ({ file: f, url: urlOf(f) }));
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const ROUTES = APP_FILES.filter((f) => /^route\.(ts|tsx|js)$/.test(path.basename(f))).map((f) => {
  const src = fs.readFileSync(f, "utf8");
  const methods = [...src.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/g)].map((m) => m[1]!);
  return { file: f, url: urlOf(f), methods, src };
});

/** Modules whose first statement is "use server": every export is a server action. */
function isUseServerModule(src: string): boolean {
  const body = src.replace(/^(\s*(\/\/[^\n]*|\/\*[\s\S]*?\*\/))*\s*/, "");
  return /^["']use server["']/.test(body);
}
const SOURCE_FILES = ["app", "components", "lib"].flatMap((d) => walk(d)).filter((f) => /\.(ts|tsx)$/.test(f) && !f.includes(`${path.sep}generated${path.sep}`));
const ACTION_MODULES = SOURCE_FILES.filter((f) => isUseServerModule(fs.readFileSync(f, "utf8")));
const ACTIONS = ACTION_MODULES.flatMap((f) =>
  [...fs.readFileSync(f, "utf8").matchAll(/export\s+(?:async\s+function\s+(\w+)|const\s+(\w+)\s*=\s*async)/g)].map((m) => ({ file: f, name: (m[1] ?? m[2])! })),
);

function clientEvents(): string[] {
  const src = fs.readFileSync("lib/realtime/protocol.ts", "utf8");
  const body = /export interface ClientToServerEvents\s*{([\s\S]*?)\n}/.exec(src)?.[1];
  if (!body) throw new Error("no ClientToServerEvents in lib/realtime/protocol.ts");
  return [...body.matchAll(/^\s*"([^"]+)"\s*:/gm)].map((m) => m[1]!);
}
const EVENTS = clientEvents();

type ManifestEntry = { exportedName: string; filename: string; workers: Record<string, unknown> };
function manifest(): Record<string, ManifestEntry> {
  return (JSON.parse(fs.readFileSync(".next/server/server-reference-manifest.json", "utf8")) as { node: Record<string, ManifestEntry> }).node;
}
/** An action's id, and a page it belongs to (Next runs an action in a page's worker that has it). */
function action(name: string): { id: string; page: string } {
  const [id, entry] = Object.entries(manifest()).find(([, v]) => v.exportedName === name) ?? [];
  if (!id || !entry) throw new Error(`no server action ${name} in the build (run npm run build)`);
  const worker = Object.keys(entry.workers)[0]!;
  return { id, page: urlOf(`${worker}.tsx`) };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Signs in through the browser and returns the session cookie's value. */
async function signIn(browser: Browser, baseURL: string): Promise<string> {
  const context = await browser.newContext({ baseURL });
  await login(await context.newPage());
  const token = (await context.cookies()).find((c) => c.name === "ferry_session")!.value;
  await context.close();
  return token;
}

type ActionArgs = { json: unknown[] } | { form: Record<string, string> };

/** Calls a server action the way React does: POST to a page with Next-Action, arguments as JSON or a form. */
async function callAction(request: APIRequestContext, name: string, args: ActionArgs, headers: Record<string, string>, at?: string): Promise<APIResponse> {
  const a = action(name);
  const base = { "Next-Action": a.id, Accept: "text/x-component", ...headers };
  if ("json" in args) {
    return request.post(at ?? a.page, { headers: { ...base, "Content-Type": "text/plain;charset=UTF-8" }, data: JSON.stringify(args.json), maxRedirects: 0 });
  }
  // The multipart fields React sends for useActionState(action)(formData): [prevState, $K1] and the form's fields.
  const boundary = `----ferry${randomBytes(8).toString("hex")}`;
  const part = (n: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`;
  const body = Object.entries(args.form).map(([k, v]) => part(`_1_${k}`, v)).join("") + part("0", '[{},"$K1"]') + `--${boundary}--\r\n`;
  return request.post(at ?? a.page, { headers: { ...base, "Content-Type": `multipart/form-data; boundary=${boundary}` }, data: body, maxRedirects: 0 });
}

/** The value an action returned (the "1:" row of the RSC payload), or null when it returned none. */
function actionResult(text: string): { ok?: boolean; message?: string; errors?: Record<string, string[]>; token?: string } | null {
  const line = text.split("\n").find((l) => l.startsWith("1:{"));
  return line ? (JSON.parse(line.slice(2)) as { ok?: boolean; message?: string }) : null;
}

function openSocket(baseURL: string, cookie: string | null, headers: Record<string, string> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(baseURL, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: { ...(cookie ? { Cookie: cookie } : {}), ...headers } });
    s.on("connect", () => resolve(s));
    s.on("connect_error", (e) => {
      s.close();
      reject(e);
    });
  });
}
const trySocket = (baseURL: string, cookie: string | null, headers: Record<string, string> = {}) =>
  openSocket(baseURL, cookie, headers).then(
    (s) => (s.close(), "connected"),
    (e: Error) => `refused: ${e.message}`,
  );

/** What the data of this product looks like in a response: none of it may reach a caller without a session. */
const LEAKS = [/unix:\/\/\/var\/run\/docker\.sock/, /"hosts"\s*:/, /"migrations"\s*:/, /e2e-counter/, /lockprobe-batch/];
function expectNoData(text: string, what: string) {
  for (const l of LEAKS) expect(text, `${what} leaks ${l}`).not.toMatch(l);
}

function checkHeaders(h: Record<string, string>, what: string) {
  const csp = h["content-security-policy"] ?? "";
  expect(csp, `${what}: CSP`).toContain("frame-ancestors 'none'");
  expect(csp, `${what}: CSP`).toContain("default-src 'self'");
  expect(csp, `${what}: CSP`).not.toContain("unsafe-eval");
  expect(h["x-content-type-options"], `${what}: nosniff`).toBe("nosniff");
  expect(h["referrer-policy"], `${what}: Referrer-Policy`).toBeTruthy();
  expect(h["x-frame-options"], `${what}: X-Frame-Options`).toBe("DENY");
}

// ---------------------------------------------------------------------------------------------
let cookie = ""; // "ferry_session=…" of a live session
let token = ""; // an API token, for the bad-input table
let own = ""; // this site's origin
const hostIds = { a: "", b: "" };
let batchId = "";

test.beforeAll(async ({ browser, baseURL, request }) => {
  own = baseURL!;
  await ensureAdmin(browser, baseURL!);
  cookie = `ferry_session=${await signIn(browser, baseURL!)}`;
  const session = { Cookie: cookie, Origin: own };
  const created = await callAction(request, "createTokenAction", { form: { name: `e2e-locks-${Date.now()}` } }, session);
  token = actionResult(await created.text())?.token ?? "";
  expect(token, "createTokenAction returned a token").toMatch(/^ferry_/);
  const list = async () => ((await (await request.get("/api/v1/hosts", { headers: { Authorization: `Bearer ${token}` } })).json()) as { hosts: { id: string; name: string }[] }).hosts;
  let hosts = await list();
  if (!hosts.some((h) => h.name === LAB.b.name)) {
    const res = await request.post("/api/v1/hosts", { headers: { Authorization: `Bearer ${token}` }, data: { name: LAB.b.name, endpoint: LAB.b.endpoint } });
    expect(res.status()).toBe(201);
    hosts = await list();
  }
  hostIds.a = hosts.find((h) => h.name === "local")!.id;
  hostIds.b = hosts.find((h) => h.name === LAB.b.name)!.id;
  // A finished batch on record, so "nothing leaks" is checked against real data (its id appears in no refusal).
  const db = database();
  try {
    batchId = `lockprobe-batch-${Date.now()}`;
    db.prepare("INSERT INTO Migration (id, status, targetHostId, targetHostName, options, createdBy, createdAt, cancelRequested) VALUES (?, 'done', ?, ?, '{}', 'e2e-locks', ?, 0)").run(
      batchId,
      hostIds.b,
      LAB.b.name,
      new Date().toISOString().replace("Z", "+00:00"),
    );
  } finally {
    db.close();
  }
});

test.describe("the source tree, enumerated", () => {
  test("every file under app/ is a page, a route handler or a known non-route file; actions come from 'use server' modules the build agrees on", () => {
    const unknown = APP_FILES.filter((f) => !["page.tsx"].includes(path.basename(f)) && !/^route\.(ts|tsx|js)$/.test(path.basename(f)) && !(path.basename(f) in NOT_ROUTES));
    expect(unknown, "files under app/ this test does not know how to lock: a page, route, or metadata file? Add it here").toEqual([]);
    expect(PAGES.length).toBeGreaterThanOrEqual(9);
    expect(ROUTES.length).toBeGreaterThanOrEqual(6);
    for (const r of ROUTES) expect(r.methods.length, `${r.file} exports no HTTP method this test recognises`).toBeGreaterThan(0);
    // Every route handler goes through apiRoute (session or token, origin, errors as JSON).
    for (const r of ROUTES) for (const m of r.methods) expect(r.src, `${r.file} ${m}`).toMatch(new RegExp(`export const ${m} = apiRoute\\(`));
    // Inline "use server" (inside a function) would make actions this test cannot see by module.
    for (const f of SOURCE_FILES) {
      const src = fs.readFileSync(f, "utf8");
      if (!isUseServerModule(src)) expect(src, `${f}: inline "use server"`).not.toMatch(/["']use server["']/);
    }
    expect(ACTIONS.length).toBeGreaterThanOrEqual(14);
    const built = Object.values(manifest()).map((v) => `${v.filename}#${v.exportedName}`).sort();
    expect(built, "the build's server actions are exactly the exports of the 'use server' modules").toEqual(ACTIONS.map((a) => `${a.file}#${a.name}`).sort());
    for (const name of Object.keys(PUBLIC_ACTIONS)) expect(ACTIONS.map((a) => a.name), `public action ${name}`).toContain(name);
    for (const url of Object.keys(PUBLIC_PAGES)) expect(PAGES.map((p) => p.url), `public page ${url}`).toContain(url);
    expect(fs.readdirSync("public").sort(), "every file in public/ is on the allow-list").toEqual(Object.keys(PUBLIC_FILES).sort());
    expect(EVENTS.length).toBeGreaterThan(0);
    console.log(`[locks] ${ROUTES.length} route files, ${ROUTES.reduce((n, r) => n + r.methods.length, 0)} handlers; ${ACTIONS.length} server actions; ${EVENTS.length} socket events + the connection; ${PAGES.length} pages`);
  });
});

test.describe("locked without a session", () => {
  test("pages: no cookie or a forged one → redirect to /login (next= kept), no data; public pages answer", async ({ request }) => {
    for (const { url } of PAGES) {
      for (const c of [undefined, FORGED]) {
        const res = await request.get(url, { headers: c ? { Cookie: c } : {}, maxRedirects: 0 });
        const what = `GET ${url} with ${c ? "a forged cookie" : "no cookie"}`;
        expectNoData(await res.text(), what);
        if (url in PUBLIC_PAGES) {
          // /login shows its form; /setup sends to /login once the account exists.
          expect([200, 307], what).toContain(res.status());
          if (res.status() === 307) expect(new URL(res.headers()["location"] ?? "", own).pathname, what).toBe("/login");
          continue;
        }
        // Followed by hand: a page may first send to another page ("/" → /containers), which then sends to /login.
        let hop = res;
        for (let i = 0; i < 3 && hop.status() === 307 && new URL(hop.headers()["location"] ?? "", own).pathname !== "/login"; i++) {
          hop = await request.get(hop.headers()["location"]!, { headers: c ? { Cookie: c } : {}, maxRedirects: 0 });
          expectNoData(await hop.text(), what);
        }
        expect(hop.status(), what).toBe(307);
        const location = new URL(hop.headers()["location"] ?? "", own);
        expect(location.pathname, what).toBe("/login");
        if (url !== "/" && !c) expect(location.searchParams.get("next"), what).toBe(url);
      }
      // A POST to a page without a session (what a server action is) stops at the gate.
      if (!(url in PUBLIC_PAGES)) expect((await request.post(url, { headers: { Origin: own }, data: "[]", maxRedirects: 0 })).status(), `POST ${url}`).toBe(401);
    }
  });

  test("route handlers: every exported method → 401 without a session, with a forged cookie and with a wrong token; no data", async ({ request }) => {
    for (const r of ROUTES) {
      for (const m of r.methods) {
        const body = UNSAFE.has(m) ? { data: {} } : {};
        for (const [label, headers] of [
          ["nothing", { Origin: own }],
          ["a forged cookie", { Cookie: FORGED, Origin: own }],
          ["a wrong bearer token", { Authorization: "Bearer not-a-valid-token-0123456789" }],
          ["a malformed Authorization", { Authorization: "Basic YWRtaW46YWRtaW4=" }],
        ] as const) {
          const res = await request.fetch(r.url, { method: m, headers, ...body, maxRedirects: 0 });
          const what = `${m} ${r.url} with ${label}`;
          expect(res.status(), what).toBe(401);
          const text = await res.text();
          if (m !== "HEAD") expect((JSON.parse(text) as { error: { code: string } }).error.code, what).toBe("UNAUTHENTICATED");
          expectNoData(text, what);
        }
      }
    }
  });

  test("server actions: every one stops at the gate without a session, and refuses itself with a forged cookie; nothing changes", async ({ request }) => {
    const before = await dbCounts();
    for (const { name } of ACTIONS) {
      if (name in PUBLIC_ACTIONS) continue;
      const a = action(name);
      const gate = await callAction(request, name, { json: [PROBE_ID] }, { Origin: own });
      expect(gate.status(), `${name} at ${a.page} without a session`).toBe(401);
      expectNoData(await gate.text(), name);
      // Past the gate (a forged cookie): the action's own session check sends the caller to /login.
      const self = await callAction(request, name, { json: [PROBE_ID] }, { Cookie: FORGED, Origin: own });
      expect(self.status(), `${name} with a forged cookie`).toBe(200);
      expect(self.headers()["x-action-redirect"], `${name} with a forged cookie redirects to /login`).toMatch(/^\/login(;|$)/);
      expect(actionResult(await self.text()), `${name} returned nothing`).toBeNull();
    }
    // The public ones: setup is closed once an account exists; sign-in with a wrong password gets no session.
    const setup = await callAction(request, "setupAction", { form: { username: "intruder", password: "intruder-password", confirm: "intruder-password" } }, { Origin: own });
    expect(actionResult(await setup.text())?.message).toBe("The admin account exists already: sign in instead.");
    expect(setup.headers()["set-cookie"] ?? "").not.toContain("ferry_session");
    const wrong = await callAction(request, "loginAction", { form: { username: ADMIN.username, password: "not-the-password" } }, { Origin: own });
    expect(actionResult(await wrong.text())?.message).toBe("Wrong user name or password");
    expect(wrong.headers()["set-cookie"] ?? "").not.toContain("ferry_session");
    expect(await dbCounts()).toEqual(before);
  });

  test("socket: the connection is refused without a session or with a forged one; every client event on a socket whose session ended disconnects it and answers nothing", async ({ baseURL }) => {
    expect(await trySocket(baseURL!, null)).toBe("refused: unauthenticated");
    expect(await trySocket(baseURL!, FORGED)).toBe("refused: unauthenticated");
    // The control: a live session connects, and migration:subscribe does answer with data.
    const live = await openSocket(baseURL!, cookie);
    const snapshot = new Promise<{ id: string }>((resolve) => live.once("migration:snapshot", resolve));
    live.emit("migration:subscribe", batchId);
    expect((await snapshot).id).toBe(batchId);
    live.close();

    const db = database();
    try {
      for (const event of EVENTS) {
        const { token: t } = await freshSession(db);
        const s = await openSocket(baseURL!, `ferry_session=${t}`);
        const received: string[] = [];
        s.onAny((name: string) => received.push(name));
        let why = "";
        s.on("disconnect", (w) => (why = w));
        expect(db.prepare("DELETE FROM Session WHERE id = ?").run(sessionId(t)).changes).toBe(1);
        // Every event gets the same argument: a real batch's id (the ones that take none ignore it).
        (s.emit as (ev: string, ...args: unknown[]) => void)(event, batchId);
        await expect.poll(() => why, { message: `${event} on a dead session` }).toBe("io server disconnect");
        expect(received, `${event} answered a dead session`).toEqual([]);
        s.close();
      }
    } finally {
      db.close();
    }
  });
});

/** A session row made directly (sign-ins are rate limited, and each event needs its own session to end). */
async function freshSession(db: Database.Database): Promise<{ token: string }> {
  const t = randomBytes(32).toString("base64url");
  const user = db.prepare("SELECT id FROM User WHERE username = ?").get(ADMIN.username) as { id: string };
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");
  const cols = (db.prepare("PRAGMA table_info(Session)").all() as { name: string }[]).map((c) => c.name);
  const values: Record<string, unknown> = { id: sessionId(t), userId: user.id, createdAt: iso(now), expiresAt: iso(now + 3600_000), absoluteExpiresAt: iso(now + 3600_000), lastSeenAt: iso(now) };
  const present = cols.filter((c) => c in values);
  db.prepare(`INSERT INTO Session (${present.join(", ")}) VALUES (${present.map(() => "?").join(", ")})`).run(...present.map((c) => values[c]));
  return { token: t };
}

test.describe("the session cookie only from Ferry's own origin", () => {
  test("route handlers: every method with the cookie from a foreign Origin → 403, reads included; unsafe ones with no Origin → 403; from Ferry's origin → past the lock", async ({ request }) => {
    for (const r of ROUTES) {
      for (const m of r.methods) {
        const body = UNSAFE.has(m) ? { data: {} } : {};
        const what = `${m} ${r.url}`;
        const foreign = await request.fetch(r.url, { method: m, headers: { Cookie: cookie, Origin: FOREIGN }, ...body });
        expect(foreign.status(), `${what} from ${FOREIGN}`).toBe(403);
        expectNoData(await foreign.text(), what);
        const sameSite = await request.fetch(r.url, { method: m, headers: { Cookie: cookie, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors" }, ...body });
        expect(sameSite.status(), `${what} with Sec-Fetch-Site: same-site`).toBe(403);
        if (UNSAFE.has(m)) {
          const bare = await request.fetch(r.url, { method: m, headers: { Cookie: cookie }, ...body });
          expect(bare.status(), `${what} with the cookie and no Origin`).toBe(403);
          expect(((await bare.json()) as { error: { code: string } }).error.code).toBe("ORIGIN_REQUIRED");
          // A browser that sent no Origin but says same-origin is let through.
          const fetchMeta = await request.fetch(r.url, { method: m, headers: { Cookie: cookie, "Sec-Fetch-Site": "same-origin" }, ...body });
          expect([401, 403, 500], `${what} with Sec-Fetch-Site: same-origin`).not.toContain(fetchMeta.status());
        }
        // The control: Ferry's own origin gets past the lock (an empty body or an unknown id: refused later, 400/404).
        const mine = await request.fetch(r.url, { method: m, headers: { Cookie: cookie, Origin: own }, ...body });
        expect([401, 403, 500], `${what} from Ferry's origin`).not.toContain(mine.status());
      }
      // Methods a route does not export: 405 (with a valid session, so the lock is not what answers).
      for (const m of METHODS.filter((x) => UNSAFE.has(x) && !r.methods.includes(x))) {
        expect((await request.fetch(r.url, { method: m, headers: { Cookie: cookie, Origin: own }, data: {} })).status(), `${m} ${r.url}`).toBe(405);
      }
    }
  });

  test("server actions: every one with the cookie from a foreign Origin, or with no Origin, → 403 and nothing changes", async ({ request }) => {
    const before = await dbCounts();
    for (const { name } of ACTIONS) {
      for (const [label, headers] of [
        ["a foreign Origin", { Cookie: cookie, Origin: FOREIGN }],
        ["no Origin", { Cookie: cookie }],
        ["Sec-Fetch-Site: same-site", { Cookie: cookie, "Sec-Fetch-Site": "same-site" }],
      ] as const) {
        const res = await callAction(request, name, { json: [PROBE_ID] }, headers);
        expect(res.status(), `${name} with ${label}`).toBe(403);
        expect(actionResult(await res.text()), `${name} with ${label} ran`).toBeNull();
      }
    }
    expect(await dbCounts()).toEqual(before);
    // The session survived all of it (logoutAction was among them).
    expect((await request.get("/api/v1/hosts", { headers: { Cookie: cookie } })).status()).toBe(200);
  });

  test("socket: a valid cookie from a foreign Origin or a same-site page is refused; Ferry's origin connects", async ({ baseURL }) => {
    expect(await trySocket(baseURL!, cookie, { Origin: FOREIGN })).toBe("refused: websocket error");
    expect(await trySocket(baseURL!, cookie, { Origin: "null" })).toBe("refused: websocket error");
    expect(await trySocket(baseURL!, cookie, { "Sec-Fetch-Site": "same-site" })).toBe("refused: websocket error");
    expect(await trySocket(baseURL!, cookie, { Origin: baseURL! })).toBe("connected");
  });
});

test.describe("security headers", () => {
  test("every page, signed in and out, and every route handler's answer: CSP without unsafe-eval, frame-ancestors 'none', nosniff, a Referrer-Policy", async ({ request }) => {
    for (const { url } of PAGES) {
      checkHeaders((await request.get(url, { maxRedirects: 0 })).headers(), `GET ${url} signed out`);
      checkHeaders((await request.get(url, { headers: { Cookie: cookie }, maxRedirects: 0 })).headers(), `GET ${url} signed in`);
    }
    for (const r of ROUTES) {
      for (const m of r.methods.filter((x) => !UNSAFE.has(x))) {
        checkHeaders((await request.fetch(r.url, { method: m })).headers(), `${m} ${r.url} (401)`);
        checkHeaders((await request.fetch(r.url, { method: m, headers: { Cookie: cookie } })).headers(), `${m} ${r.url} signed in`);
      }
    }
    // A path no route matches (the 404 page) and a server action's answer carry them too.
    checkHeaders((await request.get("/no-such-page", { headers: { Cookie: cookie } })).headers(), "the 404 page");
    checkHeaders((await callAction(request, "deleteHostAction", { json: [PROBE_ID] }, { Cookie: cookie, Origin: own })).headers(), "a server action");
    for (const f of Object.keys(PUBLIC_FILES)) {
      const res = await request.get(`/${f}`);
      expect(res.status(), f).toBe(200);
      expect(res.headers()["x-content-type-options"], f).toBe("nosniff");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Bad inputs
// ---------------------------------------------------------------------------------------------
type Snapshot = { containers: string[]; hosts: string[]; migrations: string[]; db: Record<string, unknown> };

async function dbCounts(): Promise<Record<string, unknown>> {
  const db = database();
  try {
    const out: Record<string, unknown> = {};
    // Every table but the caller's own sessions and Prisma's bookkeeping, whatever the schema holds today.
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('Session', '_prisma_migrations')").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toContain("Host");
    for (const t of tables) {
      out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n;
    }
    out.settings = db.prepare("SELECT * FROM Setting ORDER BY 1").all();
    out.hostRows = db.prepare("SELECT id, name, endpoint, memoryBudgetBytes, maxConcurrency, tlsCa IS NOT NULL AS tls, sshKey IS NOT NULL AS ssh FROM Host ORDER BY id").all();
    out.tokens = db.prepare("SELECT id, name FROM ApiToken ORDER BY id").all();
    return out;
  } finally {
    db.close();
  }
}

async function snapshot(request: APIRequestContext): Promise<Snapshot> {
  const containers: string[] = [];
  for (const which of ["a", "b"] as const) {
    for (const c of await labDocker(which).listContainers({ all: true })) containers.push(`${which} ${c.Names.join(",")} ${c.Id} ${c.State}`);
  }
  const auth = { Authorization: `Bearer ${token}` };
  const hosts = ((await (await request.get("/api/v1/hosts", { headers: auth })).json()) as { hosts: { id: string; name: string; endpoint: string }[] }).hosts;
  const migrations = ((await (await request.get("/api/v1/migrations?limit=200", { headers: auth })).json()) as { migrations: { id: string; status: string }[] }).migrations;
  return {
    containers: containers.sort(),
    hosts: hosts.map((h) => `${h.id} ${h.name} ${h.endpoint}`).sort(),
    migrations: migrations.map((m) => `${m.id} ${m.status}`).sort(),
    db: await dbCounts(),
  };
}

type Ctx = { a: string; b: string; counterId: string };
const LOCKS_COUNTER = "e2e-locks-counter";
type Row =
  | { name: string; api: { method?: string; url: string | ((c: Ctx) => string); body?: Record<string, unknown> | ((c: Ctx) => unknown); raw?: string | Buffer; type?: string }; status: number; message: RegExp; field?: string }
  | { name: string; action: string; args: (c: Ctx) => ActionArgs; message: RegExp; field?: string };

const host = (extra: Record<string, unknown>) => ({ name: "bad-input-host", endpoint: "unix:///run/ferry-bad-input.sock", ...extra });
const batch = (c: Ctx, extra: Record<string, unknown> = {}, item: Record<string, unknown> = {}) => ({
  targetHostId: c.b,
  items: [{ hostId: c.a, containerId: LOCKS_COUNTER, ...item }],
  ...extra,
});
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

const ROWS: Row[] = [
  // Hosts: endpoints
  { name: "unix endpoint with a relative path", api: { url: "/api/v1/hosts", body: host({ endpoint: "unix://run/docker.sock" }) }, status: 400, message: /endpoint: a unix endpoint needs an absolute path/, field: "endpoint" },
  { name: "tcp endpoint without a port", api: { url: "/api/v1/hosts", body: host({ endpoint: "tcp://docker.example" }) }, status: 400, message: /endpoint: a tcp endpoint needs a port/, field: "endpoint" },
  { name: "ssh endpoint without a user", api: { url: "/api/v1/hosts", body: host({ endpoint: "ssh://docker.example" }) }, status: 400, message: /endpoint: an ssh endpoint needs a user/, field: "endpoint" },
  { name: "http:// endpoint", api: { url: "/api/v1/hosts", body: host({ endpoint: "http://127.0.0.1:2375" }) }, status: 400, message: /endpoint: "http:\/\/127\.0\.0\.1:2375" is not an endpoint/, field: "endpoint" },
  { name: "empty endpoint", api: { url: "/api/v1/hosts", body: host({ endpoint: "" }) }, status: 400, message: /endpoint: Endpoint is required/, field: "endpoint" },
  { name: "10 KB endpoint", api: { url: "/api/v1/hosts", body: host({ endpoint: `unix:///${"a".repeat(10_240)}` }) }, status: 400, message: /endpoint: Endpoint has at most 300 characters/, field: "endpoint" },
  { name: "tcp port out of range", api: { url: "/api/v1/hosts", body: host({ endpoint: "tcp://127.0.0.1:99999" }) }, status: 400, message: /endpoint: port 99999 is outside 1-65535/, field: "endpoint" },
  { name: "unix path with ..", api: { url: "/api/v1/hosts", body: host({ endpoint: "unix:///run/../etc/docker.sock" }) }, status: 400, message: /endpoint: the socket path may not contain '\.\.'/, field: "endpoint" },
  { name: "shell characters in the endpoint", api: { url: "/api/v1/hosts", body: host({ endpoint: "tcp://host;rm -rf /:2375" }) }, status: 400, message: /endpoint: .*(not an endpoint|not a valid host)/, field: "endpoint" },
  { name: "endpoint of the wrong type", api: { url: "/api/v1/hosts", body: host({ endpoint: 2375 }) }, status: 400, message: /endpoint: Endpoint must be text/, field: "endpoint" },
  // Hosts: names, limits, keys, secrets
  { name: "empty host name", api: { url: "/api/v1/hosts", body: host({ name: "" }) }, status: 400, message: /name: Name is required/, field: "name" },
  { name: "host name with spaces and !", api: { url: "/api/v1/hosts", body: host({ name: "bad name!" }) }, status: 400, message: /name: Name may use letters, digits/, field: "name" },
  { name: "64-character host name", api: { url: "/api/v1/hosts", body: host({ name: "h".repeat(64) }) }, status: 400, message: /name: Name has at most 63 characters/, field: "name" },
  { name: "host name of the wrong type", api: { url: "/api/v1/hosts", body: host({ name: ["local"] }) }, status: 400, message: /name: Name must be text/, field: "name" },
  { name: "a host name registered already", api: { url: "/api/v1/hosts", body: host({ name: "local" }) }, status: 400, message: /A host named "local" exists already/, field: "name" },
  { name: "memory budget 0", api: { url: "/api/v1/hosts", body: host({ memoryBudgetMiB: 0 }) }, status: 400, message: /memoryBudgetMiB: Memory budget must be a whole number of MiB from 64/, field: "memoryBudgetMiB" },
  { name: "negative memory budget", api: { url: "/api/v1/hosts", body: host({ memoryBudgetMiB: -512 }) }, status: 400, message: /memoryBudgetMiB: Memory budget/, field: "memoryBudgetMiB" },
  { name: "huge memory budget", api: { url: "/api/v1/hosts", body: host({ memoryBudgetMiB: 1e12 }) }, status: 400, message: /memoryBudgetMiB: Memory budget .*16777216/, field: "memoryBudgetMiB" },
  { name: "memory budget as words", api: { url: "/api/v1/hosts", body: host({ memoryBudgetMiB: "lots" }) }, status: 400, message: /memoryBudgetMiB: Memory budget/, field: "memoryBudgetMiB" },
  { name: "memory budget true", api: { url: "/api/v1/hosts", body: host({ memoryBudgetMiB: true }) }, status: 400, message: /memoryBudgetMiB: Memory budget/, field: "memoryBudgetMiB" },
  { name: "host concurrency 0", api: { url: "/api/v1/hosts", body: host({ maxConcurrency: 0 }) }, status: 400, message: /maxConcurrency: Concurrent migrations must be between 1 and 32/, field: "maxConcurrency" },
  { name: "host concurrency 33", api: { url: "/api/v1/hosts", body: host({ maxConcurrency: 33 }) }, status: 400, message: /maxConcurrency: Concurrent migrations must be between 1 and 32/, field: "maxConcurrency" },
  { name: "host concurrency 2.5", api: { url: "/api/v1/hosts", body: host({ maxConcurrency: 2.5 }) }, status: 400, message: /maxConcurrency: Concurrent migrations/, field: "maxConcurrency" },
  { name: "unknown host field", api: { url: "/api/v1/hosts", body: host({ admin: true }) }, status: 400, message: /Unknown field\(s\): admin/ },
  { name: "TLS with only a CA", api: { url: "/api/v1/hosts", body: host({ endpoint: "tcp://127.0.0.1:2376", tlsCa: PEM }) }, status: 400, message: /TLS needs all three/, field: "tlsCa" },
  { name: "CA that is not PEM", api: { url: "/api/v1/hosts", body: host({ tlsCa: "not a certificate" }) }, status: 400, message: /tlsCa: CA certificate must be PEM text/, field: "tlsCa" },
  { name: "ssh endpoint without a key", api: { url: "/api/v1/hosts", body: host({ endpoint: "ssh://deploy@127.0.0.1" }) }, status: 400, message: /An ssh:\/\/ endpoint needs a private key/, field: "sshKey" },
  // Bodies
  { name: "body that is not JSON", api: { url: "/api/v1/hosts", raw: '{"name": "x", endpoint', type: "application/json" }, status: 400, message: /The body is not valid JSON/ },
  { name: "empty body", api: { url: "/api/v1/hosts", raw: "", type: "application/json" }, status: 400, message: /The body is empty/ },
  { name: "body that is a JSON array", api: { url: "/api/v1/hosts", raw: "[]", type: "application/json" }, status: 400, message: /The body must be a JSON object, not an array/ },
  { name: "body that is JSON null", api: { url: "/api/v1/migrations", raw: "null", type: "application/json" }, status: 400, message: /The body must be a JSON object, not null/ },
  { name: "body as text/plain", api: { url: "/api/v1/hosts", raw: JSON.stringify(host({})), type: "text/plain" }, status: 415, message: /application\/json \(it was text\/plain\)/ },
  { name: "body as a form", api: { url: "/api/v1/hosts", raw: "name=x&endpoint=unix%3A%2F%2F%2Frun%2Fx.sock", type: "application/x-www-form-urlencoded" }, status: 415, message: /application\/json \(it was application\/x-www-form-urlencoded\)/ },
  { name: "2 MiB body", api: { url: "/api/v1/hosts", raw: JSON.stringify(host({ tlsCa: "x".repeat(2 * 1024 * 1024) })), type: "application/json" }, status: 413, message: /larger than 1024 KiB/ },
  { name: "2 MiB batch", api: { url: "/api/v1/migrations", raw: Buffer.alloc(2 * 1024 * 1024, " "), type: "application/json" }, status: 413, message: /larger than 1024 KiB/ },
  // Migrations: ids, duplicates, sizes
  { name: "unknown target host", api: { url: "/api/v1/migrations", body: (c) => batch(c, { targetHostId: PROBE_ID }) }, status: 400, message: new RegExp(`Unknown host: targetHostId: no host with id ${PROBE_ID}`), field: "targetHostId" },
  { name: "unknown source host", api: { url: "/api/v1/migrations", body: (c) => batch(c, {}, { hostId: PROBE_ID }) }, status: 400, message: /Unknown host: items\.0\.hostId: no host with id/, field: "items.0.hostId" },
  { name: "unknown container", api: { url: "/api/v1/migrations", body: (c) => batch(c, {}, { containerId: "no-such-container-7" }) }, status: 400, message: /Unknown container: items\.0\.containerId: no container no-such-container-7 on local/, field: "items.0.containerId" },
  { name: "source = target", api: { url: "/api/v1/migrations", body: (c) => batch(c, { targetHostId: c.a }) }, status: 400, message: /Source and target are the same host: items\.0\.hostId: e2e-locks-counter already runs on the target host/, field: "items.0.hostId" },
  { name: "the same container twice", api: { url: "/api/v1/migrations", body: (c) => ({ targetHostId: c.b, items: [{ hostId: c.a, containerId: LOCKS_COUNTER }, { hostId: c.a, containerId: LOCKS_COUNTER }] }) }, status: 400, message: /items\.1: e2e-locks-counter is listed twice/, field: "items.1" },
  { name: "the same container by name and by id", api: { url: "/api/v1/migrations", body: (c) => ({ targetHostId: c.b, items: [{ hostId: c.a, containerId: LOCKS_COUNTER }, { hostId: c.a, containerId: c.counterId }] }) }, status: 400, message: /A container is listed twice: items\.1\.containerId: e2e-locks-counter is listed twice/, field: "items.1.containerId" },
  { name: "no containers", api: { url: "/api/v1/migrations", body: (c) => ({ targetHostId: c.b, items: [] }) }, status: 400, message: /items: Select at least one container/, field: "items" },
  { name: "items missing", api: { url: "/api/v1/migrations", body: (c) => ({ targetHostId: c.b }) }, status: 400, message: /items: items must be a list/, field: "items" },
  { name: "target missing", api: { url: "/api/v1/migrations", body: (c) => ({ items: [{ hostId: c.a, containerId: LOCKS_COUNTER }] }) }, status: 400, message: /targetHostId: host id is required/, field: "targetHostId" },
  { name: "10,000 containers in one batch", api: { url: "/api/v1/migrations", body: (c) => ({ targetHostId: c.b, items: Array.from({ length: 10_000 }, (_, i) => ({ hostId: c.a, containerId: `counter-${i}` })) }) }, status: 400, message: /items: At most 1000 containers per batch/, field: "items" },
  { name: "container id with shell characters", api: { url: "/api/v1/migrations", body: (c) => batch(c, {}, { containerId: "x; rm -rf /" }) }, status: 400, message: /items\.0\.containerId: not a container id or name/, field: "items.0.containerId" },
  { name: "200-character container id", api: { url: "/api/v1/migrations", body: (c) => batch(c, {}, { containerId: "c".repeat(200) }) }, status: 400, message: /items\.0\.containerId: containerId has at most 128 characters/, field: "items.0.containerId" },
  { name: "target host id of the wrong type", api: { url: "/api/v1/migrations", body: (c) => batch(c, { targetHostId: 42 }) }, status: 400, message: /targetHostId: host id must be text/, field: "targetHostId" },
  { name: "malformed target host id", api: { url: "/api/v1/migrations", body: (c) => batch(c, { targetHostId: "../../etc" }) }, status: 400, message: /targetHostId: not a host id/, field: "targetHostId" },
  // Migrations: options
  { name: "concurrency 0", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { concurrency: 0 } }) }, status: 400, message: /options\.concurrency: Concurrency must be a whole number from 1 to 32/, field: "options.concurrency" },
  { name: "negative concurrency", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { concurrency: -4 } }) }, status: 400, message: /options\.concurrency: Concurrency must be/, field: "options.concurrency" },
  { name: "huge concurrency", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { concurrency: 1e9 } }) }, status: 400, message: /options\.concurrency: Concurrency must be/, field: "options.concurrency" },
  { name: "concurrency as a string", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { concurrency: "4" } }) }, status: 400, message: /options\.concurrency: Concurrency must be/, field: "options.concurrency" },
  { name: "fractional concurrency", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { concurrency: 1.5 } }) }, status: 400, message: /options\.concurrency: Concurrency must be/, field: "options.concurrency" },
  { name: "unknown option key", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { turbo: true } }) }, status: 400, message: /options: Unknown option\(s\): turbo/, field: "options" },
  { name: "keepSource as a string", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { keepSource: "yes" } }) }, status: 400, message: /options\.keepSource: keepSource must be true or false/, field: "options.keepSource" },
  { name: "unknown nameConflict", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: { nameConflict: "rename" } }) }, status: 400, message: /options\.nameConflict: nameConflict must be "fail" or "suffix"/, field: "options.nameConflict" },
  { name: "options of the wrong type", api: { url: "/api/v1/migrations", body: (c) => batch(c, { options: "fast" }) }, status: 400, message: /options: options must be an object/, field: "options" },
  { name: "unknown batch field", api: { url: "/api/v1/migrations", body: (c) => batch(c, { dryRun: true }) }, status: 400, message: /Unknown field\(s\): dryRun/ },
  { name: "unknown item field", api: { url: "/api/v1/migrations", body: (c) => batch(c, {}, { privileged: true }) }, status: 400, message: /items\.0: Unknown field\(s\) in an item: privileged/, field: "items.0" },
  // History and single batches
  { name: "impossible date", api: { method: "GET", url: "/api/v1/migrations?from=2024-99-99" }, status: 400, message: /from: From must be a date \(YYYY-MM-DD\); “2024-99-99” is not one/, field: "from" },
  { name: "29 February of a common year", api: { method: "GET", url: "/api/v1/migrations?to=2023-02-29" }, status: 400, message: /to: To must be a date/, field: "to" },
  { name: "to before from", api: { method: "GET", url: "/api/v1/migrations?from=2024-03-02&to=2024-03-01" }, status: 400, message: /to: To must not be before From/, field: "to" },
  { name: "limit 0", api: { method: "GET", url: "/api/v1/migrations?limit=0" }, status: 400, message: /limit: limit must be a whole number from 1 to 200/, field: "limit" },
  { name: "limit 100000", api: { method: "GET", url: "/api/v1/migrations?limit=100000" }, status: 400, message: /limit: limit must be/, field: "limit" },
  { name: "limit as words", api: { method: "GET", url: "/api/v1/migrations?limit=all" }, status: 400, message: /limit: limit must be/, field: "limit" },
  { name: "malformed cursor", api: { method: "GET", url: "/api/v1/migrations?cursor=..%2F..%2Fetc" }, status: 400, message: /cursor: cursor must be a migration id/, field: "cursor" },
  { name: "unknown cursor", api: { method: "GET", url: `/api/v1/migrations?cursor=${PROBE_ID}` }, status: 400, message: new RegExp(`No migration with id ${PROBE_ID} to continue from`), field: "cursor" },
  { name: "unknown migration", api: { method: "GET", url: `/api/v1/migrations/${PROBE_ID}` }, status: 404, message: new RegExp(`No migration with id ${PROBE_ID}`) },
  { name: "malformed migration id", api: { method: "GET", url: "/api/v1/migrations/bad!id" }, status: 400, message: /not a migration id/ },
  { name: "export in an unknown format", api: { method: "GET", url: `/api/v1/migrations/${PROBE_ID}/export?format=xml` }, status: 400, message: /format: format must be json or csv/, field: "format" },
  { name: "export of an unknown migration", api: { method: "GET", url: `/api/v1/migrations/${PROBE_ID}/export?format=csv` }, status: 404, message: /No migration with id/ },
  { name: "cancel of an unknown migration", api: { url: `/api/v1/migrations/${PROBE_ID}/cancel` }, status: 404, message: /No migration with id/ },
  { name: "containers of an unknown host", api: { method: "GET", url: `/api/v1/hosts/${PROBE_ID}/containers` }, status: 404, message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "containers of a malformed host id", api: { method: "GET", url: "/api/v1/hosts/bad.id/containers" }, status: 400, message: /not a host id/ },
  // Hosts by id: PATCH (the edit form's rules) and DELETE; nothing may change on host B
  { name: "edit: relative unix endpoint", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { endpoint: "unix://run/docker.sock" } }, status: 400, message: /endpoint: a unix endpoint needs an absolute path/, field: "endpoint" },
  { name: "edit: shell characters in the endpoint", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { endpoint: "tcp://host;rm -rf /:2375" } }, status: 400, message: /endpoint: .*(not an endpoint|not a valid host)/, field: "endpoint" },
  { name: "edit: empty name", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { name: "" } }, status: 400, message: /name: Name is required/, field: "name" },
  { name: "edit: a name another host has", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { name: "local" } }, status: 400, message: /A host named "local" exists already/, field: "name" },
  { name: "edit: host concurrency 0", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { maxConcurrency: 0 } }, status: 400, message: /maxConcurrency: Concurrent migrations must be between 1 and 32/, field: "maxConcurrency" },
  { name: "edit: memory budget as words", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { memoryBudgetMiB: "lots" } }, status: 400, message: /memoryBudgetMiB: Memory budget/, field: "memoryBudgetMiB" },
  { name: "edit: clearSecrets as a string", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { clearSecrets: "yes" } }, status: 400, message: /clearSecrets: clearSecrets must be true or false/, field: "clearSecrets" },
  { name: "edit: TLS with only a CA", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { tlsCa: PEM } }, status: 400, message: /TLS needs all three/, field: "tlsCa" },
  { name: "edit: an ssh endpoint without a key", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { endpoint: "ssh://deploy@127.0.0.1" } }, status: 400, message: /An ssh:\/\/ endpoint needs a private key/, field: "sshKey" },
  { name: "edit: unknown field", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, body: { admin: true } }, status: 400, message: /Unknown field\(s\): admin/ },
  { name: "edit: body as text/plain", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, raw: JSON.stringify({ maxConcurrency: 2 }), type: "text/plain" }, status: 415, message: /application\/json \(it was text\/plain\)/ },
  { name: "edit: body that is a JSON array", api: { method: "PATCH", url: (c) => `/api/v1/hosts/${c.b}`, raw: "[]", type: "application/json" }, status: 400, message: /The body must be a JSON object, not an array/ },
  { name: "edit: an unknown host", api: { method: "PATCH", url: `/api/v1/hosts/${PROBE_ID}`, body: { maxConcurrency: 2 } }, status: 404, message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "edit: a malformed host id", api: { method: "PATCH", url: "/api/v1/hosts/bad.id", body: { maxConcurrency: 2 } }, status: 400, message: /not a host id/ },
  { name: "read: an unknown host", api: { method: "GET", url: `/api/v1/hosts/${PROBE_ID}` }, status: 404, message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "remove: an unknown host", api: { method: "DELETE", url: `/api/v1/hosts/${PROBE_ID}` }, status: 404, message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "remove: a malformed host id", api: { method: "DELETE", url: "/api/v1/hosts/bad.id" }, status: 400, message: /not a host id/ },
  // Containers across hosts: filters
  { name: "containers: unknown filter", api: { method: "GET", url: "/api/v1/containers?status=running" }, status: 400, message: /Unknown filter\(s\): status \(filters are host, state, name, image\)/ },
  { name: "containers: unknown state", api: { method: "GET", url: "/api/v1/containers?state=up" }, status: 400, message: /state: state must be one of created, restarting, running/, field: "state" },
  { name: "containers: a host no one has", api: { method: "GET", url: "/api/v1/containers?host=no-such-host" }, status: 400, message: /host: no host with id or name no-such-host/, field: "host" },
  { name: "containers: a host filter with a path in it", api: { method: "GET", url: "/api/v1/containers?host=..%2Fetc" }, status: 400, message: /host: host must be a host's id or name/, field: "host" },
  { name: "containers: a 300-character name filter", api: { method: "GET", url: `/api/v1/containers?name=${"n".repeat(300)}` }, status: 400, message: /name: name has at most 128 characters/, field: "name" },
  // The forms (server actions): the same rules, answered in the form's state
  { name: "form: relative unix endpoint", action: "saveHostAction", args: () => ({ form: { name: "bad-form-host", endpoint: "unix://run/docker.sock" } }), message: /a unix endpoint needs an absolute path/, field: "endpoint" },
  { name: "form: tcp without a port", action: "testHostAction", args: () => ({ form: { name: "bad-form-host", endpoint: "tcp://docker.example" } }), message: /a tcp endpoint needs a port/, field: "endpoint" },
  { name: "form: duplicate host name", action: "saveHostAction", args: () => ({ form: { name: "local", endpoint: "unix:///run/ferry-bad-input.sock" } }), message: /A host named "local" exists already/, field: "name" },
  { name: "form: memory budget 0", action: "saveHostAction", args: () => ({ form: { name: "bad-form-host", endpoint: "unix:///run/ferry-bad-input.sock", memoryBudgetMiB: "0" } }), message: /Memory budget must be a whole number/, field: "memoryBudgetMiB" },
  { name: "form: concurrency 99", action: "saveHostAction", args: () => ({ form: { name: "bad-form-host", endpoint: "unix:///run/ferry-bad-input.sock", maxConcurrency: "99" } }), message: /Concurrent migrations must be between 1 and 32/, field: "maxConcurrency" },
  { name: "form: edit an unknown host", action: "saveHostAction", args: () => ({ form: { id: PROBE_ID, name: "local", endpoint: "unix:///var/run/docker.sock" } }), message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "form: save called with no form at all", action: "saveHostAction", args: () => ({ json: [{}, "not a form"] }), message: /Check the highlighted fields/, field: "endpoint" },
  { name: "action: migrate a container onto its own host", action: "startMigrationAction", args: (c) => ({ json: [batch(c, { targetHostId: c.a })] }), message: /Source and target are the same host/, field: "items.0.hostId" },
  { name: "action: migrate an unknown container", action: "startMigrationAction", args: (c) => ({ json: [batch(c, {}, { containerId: "no-such-container-8" })] }), message: /Unknown container/, field: "items.0.containerId" },
  { name: "action: concurrency 0", action: "startMigrationAction", args: (c) => ({ json: [batch(c, { options: { concurrency: 0, keepSource: false, nameConflict: "fail" } })] }), message: /Concurrency must be a whole number from 1 to 32/, field: "options.concurrency" },
  { name: "action: preview of nothing", action: "previewMigrationAction", args: (c) => ({ json: [{ targetHostId: c.b, items: [] }] }), message: /Select at least one container/, field: "items" },
  { name: "action: cancel an unknown migration", action: "cancelMigrationAction", args: () => ({ json: [PROBE_ID] }), message: new RegExp(`No migration with id ${PROBE_ID}`) },
  { name: "action: delete an unknown host", action: "deleteHostAction", args: () => ({ json: [PROBE_ID] }), message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "action: recheck a malformed host id", action: "recheckHostAction", args: () => ({ json: ["bad id!"] }), message: /not a host id/ },
  { name: "action: probe CRIU on an unknown host", action: "probeCriuAction", args: () => ({ json: [PROBE_ID] }), message: new RegExp(`No host with id ${PROBE_ID}`) },
  { name: "form: token without a name", action: "createTokenAction", args: () => ({ form: { name: "  " } }), message: /Name the token/, field: "name" },
  { name: "form: token name of 65 characters", action: "createTokenAction", args: () => ({ form: { name: "t".repeat(65) } }), message: /At most 64 characters/, field: "name" },
  { name: "action: revoke an unknown token", action: "revokeTokenAction", args: () => ({ json: [PROBE_ID] }), message: new RegExp(`No token with id ${PROBE_ID}`) },
  { name: "form: keep 0 days", action: "saveRetentionAction", args: () => ({ form: { days: "0" } }), message: /Keep at least 1 day/ },
  { name: "form: keep 99999 days", action: "saveRetentionAction", args: () => ({ form: { days: "99999" } }), message: /At most 3650 days/ },
  { name: "form: keep 'forever' days", action: "saveRetentionAction", args: () => ({ form: { days: "forever" } }), message: /Days must be a whole number/ },
];

test.describe("bad inputs", () => {
  test(`${ROWS.length} bad inputs through the API and the forms: a 4xx (or the form's error) naming the cause, never a 500, and nothing changes`, async ({ request }) => {
    test.setTimeout(180_000);
    expect(ROWS.length).toBeGreaterThanOrEqual(40);
    // Its own counter on A: the other specs move theirs.
    const counter = await labDocker("a")
      .getContainer(LOCKS_COUNTER)
      .inspect()
      .catch(async () => labDocker("a").getContainer(await startCounter("a", LOCKS_COUNTER)).inspect());
    expect(counter.State.Running).toBe(true);
    const ctx: Ctx = { a: hostIds.a, b: hostIds.b, counterId: counter.Id };
    const before = await snapshot(request);
    const failures: string[] = [];
    for (const row of ROWS) {
      try {
        if ("api" in row) {
          const method = row.api.method ?? "POST";
          const url = typeof row.api.url === "function" ? row.api.url(ctx) : row.api.url;
          const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
          let data: string | Buffer | undefined;
          if (row.api.raw !== undefined) {
            // As bytes: Playwright would send a string that is not JSON as a JSON string.
            data = typeof row.api.raw === "string" ? Buffer.from(row.api.raw) : row.api.raw;
            headers["Content-Type"] = row.api.type ?? "application/json";
          } else if (method !== "GET" && method !== "DELETE") {
            data = JSON.stringify(typeof row.api.body === "function" ? row.api.body(ctx) : (row.api.body ?? {}));
            headers["Content-Type"] = "application/json";
          }
          const res = await request.fetch(url, { method, headers, data });
          const text = await res.text();
          expect(res.status(), `${row.name}: ${text.slice(0, 300)}`).toBe(row.status);
          const { error } = JSON.parse(text) as { error: { message: string; fields?: Record<string, string[]> } };
          expect(error.message, row.name).toMatch(row.message);
          if (row.field) expect(Object.keys(error.fields ?? {}), `${row.name}: fields`).toContain(row.field);
        } else {
          const res = await callAction(request, row.action, row.args(ctx), { Cookie: cookie, Origin: own });
          const text = await res.text();
          expect(res.status(), `${row.name}: ${text.slice(0, 300)}`).toBe(200);
          const state = actionResult(text);
          expect(state, `${row.name}: the action returned its state`).not.toBeNull();
          expect(state!.ok, row.name).toBe(false);
          // The form shows the message at the top and each field's own message beside that field.
          const shown = [state!.message ?? "", ...(row.field ? (state!.errors?.[row.field] ?? []) : [])];
          expect(shown.some((m) => row.message.test(m)), `${row.name}: ${JSON.stringify(state)}`).toBe(true);
          if (row.field) expect(Object.keys(state!.errors ?? {}), `${row.name}: fields`).toContain(row.field);
        }
      } catch (err) {
        failures.push(`${row.name}: ${err instanceof Error ? err.message.split("\n").slice(0, 6).join(" | ") : String(err)}`);
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
    expect(await snapshot(request)).toEqual(before);
    console.log(`[locks] ${ROWS.length} bad inputs refused (${ROWS.filter((r) => "api" in r).length} API, ${ROWS.filter((r) => "action" in r).length} forms/actions); nothing changed`);
  });
});
