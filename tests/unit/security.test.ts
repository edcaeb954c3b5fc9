import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { bodyTypeRefusal, contentSecurityPolicy, crossSiteRefusal, originMatches, originRefusal, socketOriginAllowed } from "@/lib/auth/browser-policy";
import { CLIENT_ADDRESS_HEADER, clientAddress, normalizeAddress, stampClientAddress } from "@/lib/auth/client-address";
import { AttemptLimiter, LoginLimiter } from "@/lib/auth/rate-limit";
import { safeNextPath } from "@/lib/auth/redirect";
import { historyQuerySchema, isCalendarDate, parseHistoryQuery } from "@/lib/validations/history";

const SITE = "http://127.0.0.1:3000";

describe("safeNextPath: where sign-in may send the browser", () => {
  const attacks = [
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\/evil.example",
    "/..//evil.example", // resolves to "//evil.example"
    "/.//evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    " /containers",
    "/containers\u2028",
    "/\u0000/evil.example",
    "/\u00a0/evil.example",
    "evil.example",
    "",
    "/",
  ];
  it.each(attacks)("refuses %j", (next) => {
    expect(safeNextPath(next)).toBeNull();
  });

  it("refuses what is not a string", () => {
    expect(safeNextPath(undefined)).toBeNull();
    expect(safeNextPath(null)).toBeNull();
    expect(safeNextPath(["/containers"])).toBeNull();
  });

  it.each([
    ["/containers", "/containers"],
    ["/hosts?edit=1", "/hosts?edit=1"],
    ["/migrations/abc123#timeline", "/migrations/abc123#timeline"],
    ["/history?from=2024-01-01&to=2024-01-31", "/history?from=2024-01-01&to=2024-01-31"],
    ["/a/../containers", "/containers"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
  ])("keeps the site path %j", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });

  it("whatever it returns, a browser resolves it to this site", () => {
    for (const next of [...attacks, "/containers", "/%09/evil.example", "/a/..//evil.example"]) {
      const path = safeNextPath(next);
      if (path !== null) expect(new URL(path, SITE).origin, next).toBe(SITE);
    }
  });
});

describe("history dates", () => {
  it("knows real calendar dates", () => {
    for (const d of ["2024-02-29", "2000-02-29", "2023-12-31", "1970-01-01", "2024-04-30"]) expect(isCalendarDate(d), d).toBe(true);
    for (const d of ["2024-99-99", "2023-02-29", "1900-02-29", "2024-04-31", "2024-00-10", "2024-01-00", "2024-1-01", "2024-01-01T00:00", "yesterday"]) {
      expect(isCalendarDate(d), d).toBe(false);
    }
  });

  it("names the field and the value that is not a date", () => {
    const r = historyQuerySchema.safeParse({ from: "2024-99-99" });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toHaveLength(1);
    expect(r.error!.issues[0]!.path).toEqual(["from"]);
    expect(r.error!.issues[0]!.message).toBe("From must be a date (YYYY-MM-DD); “2024-99-99” is not one");
  });

  it("treats empty fields (the page's form) as no filter, and refuses To before From", () => {
    expect(historyQuerySchema.parse({ from: "", to: "", host: "", outcome: "" })).toEqual({ from: undefined, to: undefined, host: "", outcome: undefined });
    const r = historyQuerySchema.safeParse({ from: "2024-03-02", to: "2024-03-01" });
    expect(r.error!.issues[0]!.path).toEqual(["to"]);
    expect(historyQuerySchema.parse({ from: "2024-03-01", to: "2024-03-01" })).toMatchObject({ from: "2024-03-01", to: "2024-03-01" });
  });

  it("for the page: keeps the good fields, reports the bad ones", () => {
    const { filter, errors } = parseHistoryQuery({ from: "2024-99-99", to: "2024-05-01", outcome: "done" });
    expect(filter).toMatchObject({ to: "2024-05-01", outcome: "done" });
    expect(filter.from).toBeUndefined();
    expect(Object.keys(errors!)).toEqual(["from"]);
    expect(parseHistoryQuery({ from: "2024-05-01" })).toEqual({ filter: expect.objectContaining({ from: "2024-05-01" }), errors: null });
  });
});

describe("client address (the rate limit's key)", () => {
  it("is the socket's address; X-Forwarded-For from an untrusted peer is ignored", () => {
    expect(clientAddress("::ffff:127.0.0.1", "203.0.113.7", [])).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", ["203.0.113.7", "198.51.100.1"], [])).toBe("127.0.0.1");
    expect(clientAddress(undefined, "203.0.113.7", [])).toBe("unknown");
  });

  it("behind a trusted proxy: the first hop from the right that the proxies did not add", () => {
    // The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
    expect(clientAddress("10.0.0.1", "6.6.6.6, 198.51.100.9", ["10.0.0.1"])).toBe("198.51.100.9");
    expect(clientAddress("10.0.0.1", "6.6.6.6, 198.51.100.9, 10.0.0.2", ["10.0.0.1", "10.0.0.2"])).toBe("198.51.100.9");
    expect(clientAddress("::ffff:10.0.0.1", "198.51.100.9:51234", ["10.0.0.1"])).toBe("198.51.100.9");
    expect(clientAddress("10.0.0.1", undefined, ["10.0.0.1"])).toBe("10.0.0.1");
    // Garbage where the proxy writes: the proxy's own address, a shared key (limits more, never less).
    expect(clientAddress("10.0.0.1", "not-an-ip", ["10.0.0.1"])).toBe("10.0.0.1");
  });

  it("normalises spellings of one address", () => {
    expect(normalizeAddress("[::1]:443")).toBe("::1");
    expect(normalizeAddress("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("2001:DB8::1")).toBe("2001:db8::1");
    expect(normalizeAddress("evil.example")).toBeNull();
  });

  it("server.ts replaces a client's own value of the header", () => {
    const req = {
      headers: { [CLIENT_ADDRESS_HEADER]: "1.2.3.4", "x-forwarded-for": "5.6.7.8" },
      socket: { remoteAddress: "127.0.0.9" },
    } as unknown as IncomingMessage;
    stampClientAddress(req, []);
    expect(req.headers[CLIENT_ADDRESS_HEADER]).toBe("127.0.0.9");
  });
});

describe("login limiter", () => {
  const address = (xff: string) => clientAddress("127.0.0.1", xff, []);

  it("rotating X-Forwarded-For does not buy more guesses", () => {
    const l = new LoginLimiter({ now: () => 0 });
    const results = Array.from({ length: 15 }, (_, i) => l.begin(address(`198.51.100.${i}`), "admin").ok);
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(results.slice(10)).toEqual([false, false, false, false, false]);
    // The right password now is refused before it is checked.
    const next = l.begin(address("203.0.113.1"), "admin");
    expect(next).toEqual({ ok: false, retryAfterMs: 5 * 60 * 1000 });
  });

  it("counts an attempt before the password is checked: 25 at once, 10 go through", () => {
    const l = new LoginLimiter({ now: () => 0 });
    const inFlight = Array.from({ length: 25 }, () => l.begin("127.0.0.1", "admin"));
    expect(inFlight.filter((a) => a.ok)).toHaveLength(10);
  });

  it("successes are given back: many sign-ins are never limited; failures stay counted", () => {
    const l = new LoginLimiter({ now: () => 0 });
    for (let i = 0; i < 100; i++) {
      const a = l.begin("127.0.0.1", "admin");
      expect(a.ok).toBe(true);
      if (a.ok) a.succeeded();
    }
    for (let i = 0; i < 9; i++) expect(l.begin("127.0.0.1", "admin").ok).toBe(true); // 9 failures
    const right = l.begin("127.0.0.1", "admin");
    if (right.ok) right.succeeded();
    expect(l.begin("127.0.0.1", "admin").ok).toBe(true); // the 10th failure
    expect(l.begin("127.0.0.1", "admin").ok).toBe(false);
  });

  it("keys by address and user name; one address has a looser limit across user names", () => {
    let t = 0;
    const l = new LoginLimiter({ now: () => t });
    for (let i = 0; i < 10; i++) l.begin("127.0.0.1", "admin");
    expect(l.begin("127.0.0.1", "admin").ok).toBe(false);
    expect(l.begin("127.0.0.2", "admin").ok).toBe(true);
    expect(l.begin("127.0.0.1", "other").ok).toBe(true);
    for (let i = 0; i < 30; i++) l.begin("192.0.2.1", `user${i}`);
    expect(l.begin("192.0.2.1", "user-31").ok).toBe(false);
    t = 5 * 60 * 1000;
    expect(l.begin("127.0.0.1", "admin").ok).toBe(true); // the window has passed
  });

  it("remembers at most maxKeys keys: expired ones go first, then the oldest", () => {
    let t = 0;
    const l = new AttemptLimiter(1, 1000, () => t, 3);
    l.take("old");
    t = 600;
    l.take("a");
    l.take("b");
    t = 1100; // "old" has expired, "a" and "b" have not
    l.take("c");
    expect(l.size).toBe(3);
    expect(l.take("a")).toBe(false); // still locked: the expired key made room
    l.take("d"); // full of live keys: the oldest ("a") is forgotten
    expect(l.size).toBe(3);
    expect(l.take("a")).toBe(true);

    const big = new LoginLimiter({ now: () => 0, maxKeys: 100 });
    for (let i = 0; i < 5000; i++) big.begin(`10.0.${i >> 8}.${i & 255}`, `u${i}`);
    expect(big.size).toBeLessThanOrEqual(200);
  });
});

describe("origin checks for the session cookie", () => {
  it("compares an Origin with the host the browser addressed", () => {
    expect(originMatches("http://127.0.0.1:3000", "127.0.0.1:3000")).toBe(true);
    expect(originMatches("http://127.0.0.1:4444", "127.0.0.1:3000")).toBe(false); // same site, other port
    expect(originMatches("https://Ferry.Example", "ferry.example:443")).toBe(true);
    expect(originMatches("http://ferry.example.evil.test", "ferry.example")).toBe(false);
    expect(originMatches("null", "127.0.0.1:3000")).toBe(false);
    expect(originMatches("file://", "127.0.0.1:3000")).toBe(false);
    expect(originMatches("not a url", "127.0.0.1:3000")).toBe(false);
    expect(originMatches("http://127.0.0.1:3000", null)).toBe(false);
  });

  const host = { host: "127.0.0.1:3000" };
  it("refuses another origin, for writes and reads", () => {
    const foreign = { ...host, origin: "http://127.0.0.1:4444", "content-type": "application/json", "content-length": "40" };
    expect(crossSiteRefusal("POST", foreign)).toMatchObject({ status: 403, code: "FOREIGN_ORIGIN" });
    expect(crossSiteRefusal("GET", { ...host, origin: "http://127.0.0.1:4444" })).toMatchObject({ status: 403 });
    expect(crossSiteRefusal("POST", new Headers({ ...host, origin: "null" }))).toMatchObject({ status: 403 });
    // No Origin, but the browser says which site asked (an <img> or no-cors fetch).
    expect(crossSiteRefusal("GET", { ...host, "sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors" })).toMatchObject({ status: 403 });
    expect(crossSiteRefusal("POST", { ...host, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" })).toMatchObject({ status: 403 });
  });

  it("needs JSON for a body", () => {
    const same = { ...host, origin: SITE, "content-length": "40" };
    expect(crossSiteRefusal("POST", { ...same, "content-type": "text/plain;charset=UTF-8" })).toMatchObject({ status: 415 });
    expect(crossSiteRefusal("POST", { ...host, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded", "content-length": "9" })).toMatchObject({ status: 415 });
    expect(crossSiteRefusal("POST", { ...same, "content-type": "application/json; charset=utf-8" })).toBeNull();
  });

  it("lets this site's pages, navigations and cookie-holding scripts' reads through", () => {
    expect(crossSiteRefusal("GET", host)).toBeNull();
    expect(crossSiteRefusal("GET", { ...host, "sec-fetch-site": "same-origin" })).toBeNull();
    expect(crossSiteRefusal("GET", { ...host, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" })).toBeNull(); // a followed link
    expect(crossSiteRefusal("POST", { ...host, origin: SITE, "content-length": "0" })).toBeNull(); // cancel from a page
    expect(crossSiteRefusal("POST", { ...host, "sec-fetch-site": "same-origin", "content-length": "0" })).toBeNull(); // a browser that sent no Origin
    expect(crossSiteRefusal("POST", { host: "127.0.0.1:3000", "x-forwarded-host": "ferry.example", origin: "https://ferry.example", "content-type": "application/json", "content-length": "2" })).toBeNull();
  });

  it("a change with the cookie but neither Origin nor Sec-Fetch-Site: same-origin is refused (scripts use a token)", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      expect(originRefusal(method, { ...host, "content-length": "0" })).toMatchObject({ status: 403, code: "ORIGIN_REQUIRED" });
      expect(crossSiteRefusal(method, { ...host, "content-type": "application/json", "content-length": "2" })).toMatchObject({ status: 403, code: "ORIGIN_REQUIRED" });
      expect(originRefusal(method, { ...host, "sec-fetch-site": "none" })).toMatchObject({ code: "ORIGIN_REQUIRED" });
    }
    expect(originRefusal("GET", host)).toBeNull();
    expect(originRefusal("HEAD", host)).toBeNull();
  });

  it("any caller's body must be JSON (415 names what was sent)", () => {
    expect(bodyTypeRefusal("POST", { "content-type": "text/csv", "content-length": "3" })).toMatchObject({ status: 415, message: expect.stringMatching(/application\/json.*text\/csv/) });
    expect(bodyTypeRefusal("POST", { "content-length": "3" })).toMatchObject({ status: 415, message: expect.stringMatching(/untyped/) });
    expect(bodyTypeRefusal("POST", { "content-length": "0" })).toBeNull();
    expect(bodyTypeRefusal("GET", { "content-type": "text/csv", "content-length": "3" })).toBeNull();
  });

  it("socket handshakes: a foreign Origin is refused, none is a non-browser client", () => {
    expect(socketOriginAllowed({ ...host, origin: SITE })).toBe(true);
    expect(socketOriginAllowed(host)).toBe(true);
    expect(socketOriginAllowed({ ...host, origin: "http://127.0.0.1:4444" })).toBe(false);
    expect(socketOriginAllowed({ ...host, "sec-fetch-site": "same-site" })).toBe(false);
  });
});

describe("Content-Security-Policy", () => {
  it("production: no eval, no framing, socket.io on this host only", () => {
    const csp = contentSecurityPolicy("127.0.0.1:3000", false);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:3000 wss://127.0.0.1:3000");
    expect(csp).toContain("object-src 'none'");
    expect(contentSecurityPolicy("127.0.0.1:3000", true)).toContain("'unsafe-eval'");
  });
  it("never copies an odd Host into the header", () => {
    expect(contentSecurityPolicy("evil; script-src *", false)).toContain("connect-src 'self'; ");
    expect(contentSecurityPolicy(null, false)).not.toContain("ws:");
    expect(contentSecurityPolicy("[::1]:3000", false)).toContain("ws://[::1]:3000");
  });
});
