import "server-only";
import type Docker from "dockerode";
import { DockerError } from "@/lib/docker/errors";
import type { Side } from "@/lib/migration/docker-ops";
import { runTool } from "@/lib/migration/probe";

/**
 * Closing a container's external connections runs Ferry's tool inside that container's network
 * namespace with NET_ADMIN (SOCK_DESTROY, like `ss -K`). (Reading sockets: lib/migration/host-scan.ts.)
 */

/**
 * Closes the container's connections to peers outside it (the peers see them closed). Listening
 * sockets and connections between the container's own processes are left alone.
 */
export async function closeExternalConnections(side: Side, containerId: string): Promise<{ closed: string[]; failed: string[] }> {
  const hostConfig: Docker.HostConfig = { NetworkMode: `container:${containerId}`, CapDrop: ["ALL"], CapAdd: ["NET_ADMIN"], ReadonlyRootfs: true };
  const run = await runTool(side, ["close-external"], "close-external", hostConfig);
  const closed = [...run.stdout.matchAll(/^closed (\S+ \S+ \S+)/gm)].map((m) => m[1]!);
  const failed = [...run.stdout.matchAll(/^failed (.*)$/gm)].map((m) => m[1]!);
  if (run.exitCode !== 0 && run.exitCode !== 6) throw new DockerError("DOCKER", `closing external connections failed (exit ${run.exitCode}): ${(run.stdout + run.stderr).slice(0, 300)}`, side.host.name);
  return { closed, failed };
}
