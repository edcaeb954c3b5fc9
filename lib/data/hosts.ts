import "server-only";
import { requireUser } from "@/lib/auth/current";
import { listHosts, toPublicHost, type PublicHost } from "@/lib/hosts/service";
import { storedPairs, type PairResult } from "@/lib/migration/pair-probe";

export async function fetchHosts(): Promise<PublicHost[]> {
  await requireUser();
  return (await listHosts()).map(toPublicHost);
}

/** The last checkpoint/restore probe of every source → target pair of registered hosts. */
export async function fetchPairs(): Promise<PairResult[]> {
  await requireUser();
  return storedPairs(await listHosts());
}
