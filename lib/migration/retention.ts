import "server-only";
import { purgeOldDetail, retentionDays } from "@/lib/migration/history";

/** Applies the retention setting now and every hour. */
export function startRetention(log: (msg: string) => void = console.log): () => void {
  const run = async () => {
    try {
      const days = await retentionDays();
      const r = await purgeOldDetail(days);
      if (r.phases) log(`retention: removed ${r.phases} phase timings older than ${days} days`);
    } catch (err) {
      log(`retention failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  void run();
  const timer = setInterval(run, 3600_000);
  timer.unref();
  return () => clearInterval(timer);
}
