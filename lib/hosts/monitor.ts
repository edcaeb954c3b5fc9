import "server-only";
import { env } from "@/lib/env";
import { refreshMemory } from "@/lib/hosts/containers";
import { listHosts, refreshHealth } from "@/lib/hosts/service";

/**
 * Background health and memory refresh of every host, every FERRY_HEALTH_INTERVAL seconds.
 * One pass at a time: a slow host delays the next pass instead of piling up checks.
 */
export function startHostMonitor(log: (msg: string) => void = console.log): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const pass = async () => {
    try {
      const hosts = await listHosts();
      await Promise.all(
        hosts.map(async (h) => {
          const updated = await refreshHealth(h.id).catch(() => null);
          if (updated?.healthStatus === "ok" || updated?.healthStatus === "warning") await refreshMemory(updated).catch(() => undefined);
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
