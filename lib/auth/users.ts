import "server-only";
import { db } from "@/lib/db";
import { hashPassword, verifyPassword } from "@/lib/auth/password";

export async function hasAnyUser(): Promise<boolean> {
  return (await db.user.count()) > 0;
}

/** Creates the first (admin) account. Returns null when an account already exists. */
export async function createFirstUser(username: string, password: string) {
  const passwordHash = await hashPassword(password);
  // One transaction: two concurrent setup requests cannot both create an account.
  return db.$transaction(async (tx) => {
    if ((await tx.user.count()) > 0) return null;
    return tx.user.create({ data: { username, passwordHash } });
  });
}

// A constant hash to spend the same time on unknown user names as on wrong passwords.
let dummyHash: Promise<string> | undefined;

export async function checkCredentials(username: string, password: string) {
  const user = await db.user.findUnique({ where: { username } });
  if (!user) {
    await verifyPassword(password, await (dummyHash ??= hashPassword("not-a-password")));
    return null;
  }
  return (await verifyPassword(password, user.passwordHash)) ? user : null;
}
