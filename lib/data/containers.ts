import "server-only";
import { requireUser } from "@/lib/auth/current";
import { listAllContainers, type HostContainers } from "@/lib/hosts/containers";

export async function fetchAllContainers(): Promise<HostContainers[]> {
  await requireUser();
  return listAllContainers();
}
