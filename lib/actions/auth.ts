"use server";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { CLIENT_ADDRESS_HEADER } from "@/lib/auth/client-address";
import { LoginLimiter } from "@/lib/auth/rate-limit";
import { safeNextPath } from "@/lib/auth/redirect";
import { createSession, deleteSession, SESSION_COOKIE, sessionCookieOptions, sessionRoom } from "@/lib/auth/session";
import { checkCredentials, createFirstUser, hasAnyUser } from "@/lib/auth/users";
import { fieldErrors } from "@/lib/validations/host";
import { loginSchema, setupSchema } from "@/lib/validations/auth";
import { asForm } from "@/lib/validations/form";
import { getIo } from "@/lib/realtime/emitter";

export type AuthFormState = { message?: string; errors?: Record<string, string[]> };

// 10 failed sign-ins per (address, user name) and 30 per address, per 5 minutes (docs/architecture.md, security model).
const g = globalThis as unknown as { __ferryLoginLimiter?: LoginLimiter };
const limiter = (g.__ferryLoginLimiter ??= new LoginLimiter());

async function startSession(userId: string) {
  const { token, expiresAt } = await createSession(userId);
  (await cookies()).set(SESSION_COOKIE, token, sessionCookieOptions(expiresAt));
}

export async function setupAction(_prev: AuthFormState, form: FormData): Promise<AuthFormState> {
  if (await hasAnyUser()) return { message: "The admin account exists already: sign in instead." };
  form = asForm(form);
  const parsed = setupSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { message: "Check the highlighted fields", errors: fieldErrors(parsed.error) };
  const user = await createFirstUser(parsed.data.username, parsed.data.password);
  if (!user) return { message: "The admin account exists already: sign in instead." };
  await startSession(user.id);
  redirect("/containers");
}

export async function loginAction(_prev: AuthFormState, form: FormData): Promise<AuthFormState> {
  form = asForm(form);
  const parsed = loginSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { message: "Enter your user name and password", errors: fieldErrors(parsed.error) };
  // The socket's address, stamped by server.ts (a client's own value of that header is replaced).
  // Without server.ts in front every client shares the key "unknown": limited too much, never too little.
  const address = (await headers()).get(CLIENT_ADDRESS_HEADER) ?? "unknown";
  // Counted before the password is checked, so parallel guesses cannot all get through.
  const attempt = limiter.begin(address, parsed.data.username);
  if (!attempt.ok) return { message: `Too many failed sign-ins: try again in ${Math.ceil(attempt.retryAfterMs / 1000)} s` };
  const user = await checkCredentials(parsed.data.username, parsed.data.password);
  if (!user) return { message: "Wrong user name or password" };
  attempt.succeeded();
  await startSession(user.id);
  redirect(safeNextPath(form.get("next")) ?? "/containers");
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
