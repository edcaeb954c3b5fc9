import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, originRefusal, requestHost } from "@/lib/auth/browser-policy";

// A first gate: no session cookie means no page, action or API call. The session itself is
// validated against the database by every page, action and route handler (lib/auth/current.ts).
const SESSION_COOKIE = "ferry_session";
const PUBLIC = ["/login", "/setup"];

export function proxy(req: NextRequest) {
  return withPolicy(req, gate(req));
}

function gate(req: NextRequest): NextResponse {
  const { pathname, search } = req.nextUrl;
  const hasCookie = Boolean(req.cookies.get(SESSION_COOKIE)?.value);
  // Server actions (and any other change outside /api, which lib/api.ts checks itself, bearer
  // tokens exempt) with the session cookie must come from Ferry's own pages. Next refuses a
  // foreign Origin for actions too, but lets a request without one through.
  if (hasCookie && !pathname.startsWith("/api/") && req.method !== "GET" && req.method !== "HEAD") {
    const refusal = originRefusal(req.method, req.headers);
    if (refusal) return NextResponse.json({ error: { code: refusal.code, message: refusal.message } }, { status: refusal.status });
  }
  if (PUBLIC.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return NextResponse.next();
  if (hasCookie) return NextResponse.next();
  if (pathname.startsWith("/api/")) {
    if (req.headers.get("authorization")) return NextResponse.next();
    return NextResponse.json(
      { error: { code: "UNAUTHENTICATED", message: "Sign in, or send an API token as 'Authorization: Bearer <token>'" } },
      { status: 401 },
    );
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    return NextResponse.json({ error: { code: "UNAUTHENTICATED", message: "Sign in first" } }, { status: 401 });
  }
  const login = new URL("/login", req.url);
  if (pathname !== "/") login.searchParams.set("next", pathname + search);
  return NextResponse.redirect(login);
}

// The CSP is set here rather than in next.config.ts because connect-src names this request's host
// (socket.io's ws://host); the fixed headers (nosniff, Referrer-Policy, X-Frame-Options) are in next.config.ts.
function withPolicy(req: NextRequest, res: NextResponse): NextResponse {
  res.headers.set("Content-Security-Policy", contentSecurityPolicy(requestHost(req.headers), process.env.NODE_ENV !== "production"));
  return res;
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg).*)"],
};
