import "server-only";
import { requireUser } from "@/lib/auth/current";
import { listHosts, toPublicHost, type PublicHost } from "@/lib/hosts/service";

export async function fetchHosts(): Promise<PublicHost[]> {
  await requireUser();
  return (await listHosts()).map(toPublicHost);
}
