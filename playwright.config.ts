import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_DIR = "/tmp/ferry-e2e";

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  // The whole run, global setup included: a lab that stops answering ends it with a report
  // (scripts/test.sh bounds it at 20 minutes from outside as well). A full run takes about 5.
  globalTimeout: 18 * 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: "reports/e2e.json" }]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    // The built app (npm run build) on a fresh database, checked every 2 s so health shows quickly.
    command: `rm -rf ${E2E_DIR} && mkdir -p ${E2E_DIR} && exec node_modules/.bin/tsx --import ./scripts/server-only-hook.mjs server.ts`,
    url: `http://127.0.0.1:${PORT}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      HOST: "127.0.0.1",
      PORT: String(PORT),
      DATABASE_URL: `file:${E2E_DIR}/ferry.db`,
      FERRY_HEALTH_INTERVAL: "2",
    },
  },
});
