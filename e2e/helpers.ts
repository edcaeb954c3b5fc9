import { createHash } from "node:crypto";
import fs from "node:fs";
import Database from "better-sqlite3";
import { expect, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { LAB } from "../tests/support/lab";
import { E2E_DIR } from "../playwright.config";

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

/** The first spec creates the admin; a spec that runs alone does so itself. */
export async function ensureAdmin(browser: Browser, baseURL: string) {
  const page = await browser.newPage({ baseURL });
  await page.goto("/login");
  if (page.url().endsWith("/setup")) {
    await page.getByLabel("User name").fill(ADMIN.username);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByLabel("Repeat password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create the admin account" }).click();
    await expect(page).toHaveURL(/\/containers$/);
  }
  await page.close();
}

/** The database the e2e server runs on (playwright.config.ts), to look at or change a session directly. */
export function database() {
  const db = new Database(`${E2E_DIR}/ferry.db`);
  db.pragma("busy_timeout = 5000");
  return db;
}

/** A session row's id: the SHA-256 of the cookie's token (only the hash is stored). */
export const sessionId = (token: string) => createHash("sha256").update(token).digest("hex");

/** Signs in once and returns the session cookie with Ferry's own Origin, as its pages send them (changes with the cookie need the Origin). */
export async function sessionHeaders(browser: Browser, baseURL: string): Promise<Record<string, string>> {
  await ensureAdmin(browser, baseURL);
  const context = await browser.newContext({ baseURL });
  await login(await context.newPage());
  const s = (await context.cookies()).find((c) => c.name === "ferry_session")!;
  await context.close();
  return { Cookie: `ferry_session=${s.value}`, Origin: baseURL };
}

/** The id of a lab host registered under its lab name (lab-b, …), registering it if an earlier spec has not. */
export async function labHostId(request: APIRequestContext, headers: Record<string, string>, which: "b" | "c" | "d"): Promise<string> {
  const hosts = ((await (await request.get("/api/v1/hosts", { headers })).json()) as { hosts: { id: string; name: string }[] }).hosts;
  const found = hosts.find((h) => h.name === LAB[which].name);
  if (found) return found.id;
  const res = await request.post("/api/v1/hosts", { headers, data: { name: LAB[which].name, endpoint: LAB[which].endpoint } });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}
