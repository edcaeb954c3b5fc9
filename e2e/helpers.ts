import fs from "node:fs";
import { expect, type Page } from "@playwright/test";

export const ADMIN = { username: "admin", password: "e2e-password-123" };

export async function login(page: Page) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/containers$/);
}

/** Server action ids from the build, by exported name. */
export function actionId(name: string): string {
  const manifest = JSON.parse(fs.readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { exportedName: string }>;
  };
  const id = Object.entries(manifest.node).find(([, v]) => v.exportedName === name)?.[0];
  if (!id) throw new Error(`no server action ${name} in the build`);
  return id;
}
