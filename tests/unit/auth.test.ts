import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { loginSchema, setupSchema } from "@/lib/validations/auth";

describe("password hashing (scrypt)", () => {
  it("verifies the right password and refuses others", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
    expect(await verifyPassword("x", "md5$abc")).toBe(false);
  });
  it("salts: the same password hashes differently", async () => {
    expect(await hashPassword("same password")).not.toBe(await hashPassword("same password"));
  });
});

describe("auth input", () => {
  it("setup needs a long password typed twice", () => {
    expect(setupSchema.safeParse({ username: "admin", password: "short", confirm: "short" }).success).toBe(false);
    const differ = setupSchema.safeParse({ username: "admin", password: "long enough pw", confirm: "long enough px" });
    expect(differ.success).toBe(false);
    expect(differ.error?.issues[0]?.path).toEqual(["confirm"]);
    expect(setupSchema.safeParse({ username: "admin", password: "long enough pw", confirm: "long enough pw" }).success).toBe(true);
  });
  it("login refuses odd user names", () => {
    expect(loginSchema.safeParse({ username: "a b", password: "x" }).success).toBe(false);
    expect(loginSchema.safeParse({ username: "admin", password: "" }).success).toBe(false);
  });
});
