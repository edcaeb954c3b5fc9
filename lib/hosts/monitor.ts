import "server-only";
import { env } from "@/lib/env";
import { refreshMemory } from "@/lib/hosts/containers";
import { listHosts, refreshHealth } from "@/lib/hosts/service";
import { sweepIfDue } from "@/lib/migration/sweep";

/**
 * Background health and memory refresh of every host, every FERRY_HEALTH_INTERVAL seconds.
 * One pass at a time: a slow host delays the next pass instead of piling up checks.
 */
export function startHostMonitor(log: (msg: string) => void = console.log): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastMemory = 0;
  const pass = async () => {
    try {
      const hosts = await listHosts();
      // Memory every FERRY_MEMORY_INTERVAL s (one read of every running container per host).
      const memoryDue = Date.now() - lastMemory >= env().FERRY_MEMORY_INTERVAL * 1000;
      if (memoryDue) lastMemory = Date.now();
      await Promise.all(
        hosts.map(async (h) => {
          const updated = await refreshHealth(h.id).catch(() => null);
          // What a move left on a host that stopped answering is removed once it answers again.
          if (updated?.healthStatus === "ok" || updated?.healthStatus === "warning")
            await sweepIfDue(updated, log).catch((err: unknown) => log(`sweep of ${updated.name}: ${err instanceof Error ? err.message : String(err)}`));
          if (memoryDue && (updated?.healthStatus === "ok" || updated?.healthStatus === "warning")) await refreshMemory(updated).catch(() => undefined);
        }),
      );
    } catch (err) {
      log(`host monitor: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (!stopped) timer = setTimeout(pass, env().FERRY_HEALTH_INTERVAL * 1000);
    }
  };
  timer = setTimeout(pass, 500);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
