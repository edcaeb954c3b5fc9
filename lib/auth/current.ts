import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE, validateSession, type SessionUser } from "@/lib/auth/session";
import { authenticateBearer } from "@/lib/auth/api-token";

/** The signed-in user of this request, or null. */
export async function currentUser(): Promise<SessionUser | null> {
  const jar = await cookies();
  return validateSession(jar.get(SESSION_COOKIE)?.value);
}

/** For pages and server actions: the signed-in user, or a redirect to /login. */
export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect("/login");
  return user;
}

export class UnauthenticatedError extends Error {
  readonly code = "UNAUTHENTICATED";
  constructor() {
    super("Sign in, or send an API token as 'Authorization: Bearer <token>'");
  }
}

/** For route handlers: a session cookie or an API bearer token, else UnauthenticatedError. */
export async function requireApiCaller(): Promise<{ kind: "session" | "token"; name: string }> {
  const h = await headers();
  const auth = h.get("authorization");
  if (auth) {
    const token = await authenticateBearer(auth);
    if (token) return { kind: "token", name: token.name };
    throw new UnauthenticatedError();
  }
  const user = await currentUser();
  if (user) return { kind: "session", name: user.username };
  throw new UnauthenticatedError();
}
