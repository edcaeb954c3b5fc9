// Ferry's process: Next.js and socket.io on one HTTP port. Everything else lives in lib/.
import { createServer } from "node:http";
import next from "next";
import { env } from "@/lib/env";
import { bootstrap } from "@/lib/bootstrap";
import { stampClientAddress } from "@/lib/auth/client-address";
import { attachRealtime } from "@/lib/realtime/server";
import { startHostMonitor } from "@/lib/hosts/monitor";
import { engine } from "@/lib/migration/engine";
import { startRetention } from "@/lib/migration/retention";

const log = (msg: string) => console.log(`[ferry] ${msg}`);

async function main() {
  const e = env();
  await bootstrap(log);
  const app = next({ dev: e.NODE_ENV === "development", hostname: e.HOST, port: e.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();

  const httpServer = createServer((req, res) => {
    // Next cannot see the socket; the login rate limit needs the real client (lib/auth/client-address.ts).
    stampClientAddress(req, e.FERRY_TRUSTED_PROXY);
    void handle(req, res);
  });
  const realtime = attachRealtime(httpServer);
  const stopMonitor = startHostMonitor(log);
  const stopRetention = startRetention(log);
  // Batches a previous process left in flight: resolve each item from what the hosts show, resume.
  engine()
    .recover()
    .then((r) => r.batches && log(`recovered ${r.batches} unfinished batch(es), ${r.resolved} item(s) resolved from the hosts`))
    .catch((err) => log(`recovery failed: ${err instanceof Error ? err.message : String(err)}`));

  httpServer.listen(e.PORT, e.HOST, () => log(`ready on http://${e.HOST}:${e.PORT} (${e.NODE_ENV})`));

  const shutdown = (signal: string) => {
    log(`${signal}: shutting down`);
    stopMonitor();
    stopRetention();
    realtime.stop();
    realtime.io.close();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err) => {
  console.error("[ferry] failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
