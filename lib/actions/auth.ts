"use server";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { FailureLimiter } from "@/lib/auth/rate-limit";
import { createSession, deleteSession, SESSION_COOKIE, sessionCookieOptions, sessionRoom } from "@/lib/auth/session";
import { checkCredentials, createFirstUser, hasAnyUser } from "@/lib/auth/users";
import { fieldErrors } from "@/lib/validations/host";
import { loginSchema, setupSchema } from "@/lib/validations/auth";
import { getIo } from "@/lib/realtime/emitter";

export type AuthFormState = { message?: string; errors?: Record<string, string[]> };

const g = globalThis as unknown as { __ferryLoginLimiter?: FailureLimiter };
const limiter = (g.__ferryLoginLimiter ??= new FailureLimiter(10, 5 * 60 * 1000));

async function startSession(userId: string) {
  const { token, expiresAt } = await createSession(userId);
  (await cookies()).set(SESSION_COOKIE, token, sessionCookieOptions(expiresAt));
}

export async function setupAction(_prev: AuthFormState, form: FormData): Promise<AuthFormState> {
  if (await hasAnyUser()) return { message: "The admin account exists already: sign in instead." };
  const parsed = setupSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { message: "Check the highlighted fields", errors: fieldErrors(parsed.error) };
  const user = await createFirstUser(parsed.data.username, parsed.data.password);
  if (!user) return { message: "The admin account exists already: sign in instead." };
  await startSession(user.id);
  redirect("/containers");
}

export async function loginAction(_prev: AuthFormState, form: FormData): Promise<AuthFormState> {
  const parsed = loginSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { message: "Enter your user name and password", errors: fieldErrors(parsed.error) };
  const h = await headers();
  const client = h.get("x-forwarded-for")?.split(",")[0]?.trim() || "local";
  const key = `${client}|${parsed.data.username}`;
  const wait = limiter.retryAfter(key);
  if (wait > 0) return { message: `Too many failed sign-ins: try again in ${Math.ceil(wait / 1000)} s` };
  const user = await checkCredentials(parsed.data.username, parsed.data.password);
  if (!user) {
    limiter.fail(key);
    return { message: "Wrong user name or password" };
  }
  limiter.reset(key);
  await startSession(user.id);
  const next = String(form.get("next") ?? "");
  redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/containers");
}

export async function logoutAction(): Promise<void> {
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (token) {
    await deleteSession(token);
    getIo()?.in(sessionRoom(token)).disconnectSockets(true);
  }
  jar.delete(SESSION_COOKIE);
  redirect("/login");
}
