// Prepares the demo database: schema, an admin account with a generated password (kept in
// data/demo-credentials, mode 600), and the lab's three hosts (C starts empty).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";
import { databaseFile, db } from "@/lib/db";
import { migrateDatabase } from "@/lib/db/migrate";
import { createFirstUser, hasAnyUser } from "@/lib/auth/users";
import { createHost } from "@/lib/hosts/service";

const HOSTS = [
  { name: "host-a", endpoint: "unix:///var/run/docker.sock" },
  { name: "host-b", endpoint: "unix:///run/ferry-lab-b.sock" },
  { name: "host-c", endpoint: "unix:///run/ferry-lab-c.sock" },
];

async function main() {
  const e = env();
  migrateDatabase(e.DATABASE_URL);
  const credFile = path.join(path.dirname(databaseFile()), "demo-credentials");
  let password = fs.existsSync(credFile) ? fs.readFileSync(credFile, "utf8").trim().split(":").slice(1).join(":") : "";
  if (!(await hasAnyUser())) {
    password = e.FERRY_ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
    await createFirstUser(e.FERRY_ADMIN_USER, password);
    fs.writeFileSync(credFile, `${e.FERRY_ADMIN_USER}:${password}\n`, { mode: 0o600 });
  }
  for (const h of HOSTS) {
    if (await db.host.findFirst({ where: { OR: [{ name: h.name }, { endpoint: h.endpoint }] } })) continue;
    const host = await createHost(h);
    console.log(`[demo] registered ${h.name} (${h.endpoint}): ${host.healthStatus}`);
  }
  // The demo names host A itself; the first-start "local" registration is not needed.
  await db.setting.upsert({ where: { key: "local-host-registered" }, create: { key: "local-host-registered", value: "demo" }, update: {} });
  const url = `http://${e.HOST}:${e.PORT}`;
  console.log("");
  console.log(`[demo] Ferry starts on ${url}`);
  console.log(password ? `[demo] sign in as "${e.FERRY_ADMIN_USER}" with password: ${password}` : `[demo] sign in with the account you created (the demo password is not on file)`);
  console.log(`[demo] (saved in ${credFile}); stop with Ctrl-C, remove the lab with: npm run lab:down`);
  console.log("");
}

main()
  .then(() => db.$disconnect())
  .catch((err) => {
    console.error("[demo] failed:", err instanceof Error ? err.message : err);
    process.exit(1);
  });
