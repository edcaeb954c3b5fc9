/**
 * What a browser may do with Ferry on behalf of its user: which origins may use the session cookie
 * (API and socket), and the Content-Security-Policy of every page. Pure functions over headers,
 * shared by proxy.ts, lib/api.ts and the socket.io server.
 *
 * Why an Origin check on top of SameSite=Lax: "same site" ignores the port, so any other service
 * on the same host name (another port on 127.0.0.1, a sibling app) is same-site and its pages send
 * Ferry's cookie along.
 */

type HeaderValue = string | string[] | null | undefined;
export type HeaderSource = Headers | Record<string, HeaderValue>;

function header(h: HeaderSource, name: string): string | undefined {
  const v = typeof h.get === "function" ? (h as Headers).get(name) : (h as Record<string, HeaderValue>)[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s ?? undefined;
}

/**
 * The host the browser addressed: the first X-Forwarded-Host (a reverse proxy's), else Host.
 * The same rule as Next's own check of server actions, so both agree behind a proxy. A browser
 * cannot set X-Forwarded-Host on a cross-origin request without a CORS preflight, which Ferry
 * never grants.
 */
export function requestHost(h: HeaderSource): string | null {
  const forwarded = header(h, "x-forwarded-host")?.split(",")[0]?.trim();
  return forwarded || header(h, "host")?.trim() || null;
}

/** True when `origin` (an Origin header) is the site at `host`; "null" and junk are never. */
export function originMatches(origin: string, host: string | null): boolean {
  if (!host || origin === "null") return false;
  try {
    const o = new URL(origin);
    if (o.protocol !== "http:" && o.protocol !== "https:") return false;
    // Parsing the host under the origin's scheme drops a default port and lower-cases it.
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

export type Refusal = { status: 403 | 415; code: string; message: string };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * For a request authenticated by the session cookie: null when a page of this site (or a
 * non-browser client) sent it, else why it is refused.
 * - An Origin header that is not this site: refused, reads included.
 * - Sec-Fetch-Site "same-site"/"cross-site": refused, except a plain navigation that only reads
 *   (a link the user followed; the page is theirs to see).
 * - A state-changing body that is not application/json: refused (415). HTML forms and no-cors
 *   fetches can only send form or text types, so this alone stops them, even where a browser
 *   sends no Origin.
 * A missing Origin is accepted: every current browser sends Origin on a POST, so a request without
 * one is a script that holds the cookie itself (curl, the e2e suite), which needs no forgery.
 */
export function crossSiteRefusal(method: string, h: HeaderSource): Refusal | null {
  const safe = SAFE_METHODS.has(method.toUpperCase());
  const origin = header(h, "origin");
  if (origin !== undefined && !originMatches(origin, requestHost(h))) {
    return { status: 403, code: "FOREIGN_ORIGIN", message: "Requests with the session cookie must come from Ferry's own pages" };
  }
  const site = header(h, "sec-fetch-site");
  if ((site === "cross-site" || site === "same-site") && !(safe && header(h, "sec-fetch-mode") === "navigate")) {
    return { status: 403, code: "FOREIGN_ORIGIN", message: "Requests with the session cookie must come from Ferry's own pages" };
  }
  if (!safe && hasBody(h) && !isJson(header(h, "content-type"))) {
    return { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as application/json" };
  }
  return null;
}

function hasBody(h: HeaderSource): boolean {
  const length = header(h, "content-length");
  return header(h, "transfer-encoding") !== undefined || (length !== undefined && length.trim() !== "0");
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/**
 * For the socket.io handshake (which has no method or body): a browser always sends Origin on a
 * WebSocket or cross-origin polling request, so a foreign one is refused; none at all is a
 * non-browser client.
 */
export function socketOriginAllowed(h: HeaderSource): boolean {
  const origin = header(h, "origin");
  if (origin !== undefined && !originMatches(origin, requestHost(h))) return false;
  const site = header(h, "sec-fetch-site");
  return site !== "cross-site" && site !== "same-site";
}

/**
 * The Content-Security-Policy of every page.
 * - script-src keeps 'unsafe-inline': Next's App Router streams its data as inline <script> tags.
 *   The alternative, a nonce per request, makes every page dynamic and breaks any page that is
 *   prerendered; Ferry renders no HTML from user input (React escapes), so the gain is small.
 *   'unsafe-eval' only in development (React's dev tools and hot reload need it).
 * - style-src 'unsafe-inline': recharts and React set style attributes.
 * - connect-src: 'self' plus ws:/wss: for this host only (socket.io; older browsers do not
 *   count ws: as 'self').
 * - frame-ancestors 'none': no framing (clickjacking); X-Frame-Options says the same to old browsers.
 */
export function contentSecurityPolicy(host: string | null, dev: boolean): string {
  // The host goes into a header: only a plain host[:port] is used, anything else falls back to 'self'.
  const wsHost = host && /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(host) ? host : null;
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${wsHost ? ` ws://${wsHost} wss://${wsHost}` : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
