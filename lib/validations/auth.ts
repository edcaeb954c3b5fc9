import { z } from "zod";

export const usernameSchema = z
  .string()
  .trim()
  .min(1, "User name is required")
  .max(64, "User name has at most 64 characters")
  .regex(/^[A-Za-z0-9_.@-]+$/, "User name may use letters, digits and . _ @ -");

export const loginSchema = z.object({
  username: usernameSchema,
  password: z.string().min(1, "Password is required").max(1024),
});

export const setupSchema = z
  .object({
    username: usernameSchema,
    password: z.string().min(10, "Use at least 10 characters").max(1024),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "The passwords differ" });
