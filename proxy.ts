import { NextResponse, type NextRequest } from "next/server";

// A first gate: no session cookie means no page, action or API call. The session itself is
// validated against the database by every page, action and route handler (lib/auth/current.ts).
const SESSION_COOKIE = "ferry_session";
const PUBLIC = ["/login", "/setup"];

export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (PUBLIC.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return NextResponse.next();
  if (req.cookies.get(SESSION_COOKIE)?.value) return NextResponse.next();
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

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg).*)"],
};
