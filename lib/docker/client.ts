import "server-only";
import Docker from "dockerode";
import { parseEndpoint } from "@/lib/docker/endpoint";
import { DockerError, toDockerError } from "@/lib/docker/errors";

/** Docker Engine API version Ferry speaks: the highest docker 20.10 accepts; newer daemons accept it too. */
const DOCKER_API_VERSION = "v1.41";

/** What the factory needs of a host record (TLS material and keys stay on the server). */
export type HostConnection = {
  name: string;
  endpoint: string;
  tlsCa?: string | null;
  tlsCert?: string | null;
  tlsKey?: string | null;
  sshKey?: string | null;
};

/**
 * The one place that turns a host record into a Docker client. Nothing else branches on
 * "unix, tcp or ssh".
 */
export function dockerFor(host: HostConnection, opts: { timeoutMs?: number } = {}): Docker {
  const endpoint = parseEndpoint(host.endpoint);
  const common = { version: DOCKER_API_VERSION, timeout: opts.timeoutMs, connectionTimeout: opts.timeoutMs };
  switch (endpoint.kind) {
    case "unix":
      return new Docker({ ...common, socketPath: endpoint.socketPath });
    case "tcp": {
      const tls = host.tlsCa || host.tlsCert || host.tlsKey;
      if (tls && !(host.tlsCa && host.tlsCert && host.tlsKey))
        throw new DockerError("TLS", "TLS needs all three of CA, client certificate and client key", host.name);
      return new Docker({
        ...common,
        host: endpoint.host,
        port: endpoint.port,
        protocol: tls ? "https" : "http",
        ...(tls ? { ca: host.tlsCa!, cert: host.tlsCert!, key: host.tlsKey! } : {}),
      });
    }
    case "ssh":
      if (!host.sshKey) throw new DockerError("UNREACHABLE", "an ssh endpoint needs a private key", host.name);
      return new Docker({
        ...common,
        protocol: "ssh",
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.username,
        sshOptions: { privateKey: host.sshKey, readyTimeout: opts.timeoutMs ?? 10_000 },
      } as Docker.DockerOptions);
  }
}

/** Runs one Docker call with a hard time limit; failures come back as DockerError naming the host. */
export async function dockerCall<T>(hostName: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DockerError("TIMEOUT", `no answer within ${timeoutMs} ms`, hostName)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    throw toDockerError(err, hostName);
  } finally {
    clearTimeout(timer);
  }
}
