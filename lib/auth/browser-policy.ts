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

const FOREIGN: Refusal = { status: 403, code: "FOREIGN_ORIGIN", message: "Requests with the session cookie must come from Ferry's own pages" };
const NO_ORIGIN: Refusal = {
  status: 403,
  code: "ORIGIN_REQUIRED",
  message: "Changes with the session cookie need this site's Origin header (browsers send it); scripts use an API token",
};

/**
 * Whether a request that carries the session cookie comes from one of Ferry's own pages: null when
 * it does, else why it is refused. Used for the API (lib/api.ts) and for server actions (proxy.ts).
 * - An Origin header that is not this site: refused, reads included.
 * - Sec-Fetch-Site "same-site"/"cross-site": refused, except a plain navigation that only reads
 *   (a link the user followed; the page is theirs to see).
 * - A state-changing request with neither an Origin nor "Sec-Fetch-Site: same-origin": refused.
 *   Every current browser sends Origin on POST/PUT/PATCH/DELETE (and Sec-Fetch-Site with it), so
 *   such a request is either a script holding the cookie itself (it should use an API token) or a
 *   browser or extension that strips the header, whose request cannot be told from a forged one.
 */
export function originRefusal(method: string, h: HeaderSource): Refusal | null {
  const safe = SAFE_METHODS.has(method.toUpperCase());
  const origin = header(h, "origin");
  if (origin !== undefined && !originMatches(origin, requestHost(h))) return FOREIGN;
  const site = header(h, "sec-fetch-site");
  if ((site === "cross-site" || site === "same-site") && !(safe && header(h, "sec-fetch-mode") === "navigate")) return FOREIGN;
  if (!safe && origin === undefined && site !== "same-origin") return NO_ORIGIN;
  return null;
}

/**
 * For an /api/v1 request authenticated by the session cookie: originRefusal, and a state-changing
 * body must be application/json (415). HTML forms and no-cors fetches can only send form or text
 * types, so this alone stops them too.
 */
export function crossSiteRefusal(method: string, h: HeaderSource): Refusal | null {
  return originRefusal(method, h) ?? bodyTypeRefusal(method, h);
}

/** A state-changing request with a body that is not application/json (any caller of /api/v1). */
export function bodyTypeRefusal(method: string, h: HeaderSource): Refusal | null {
  if (!SAFE_METHODS.has(method.toUpperCase()) && hasBody(h) && !isJson(header(h, "content-type"))) {
    return { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: `Send the body as application/json (it was ${header(h, "content-type")?.split(";")[0]?.trim() || "untyped"})` };
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
