import "server-only";
import Docker from "dockerode";
import { parseEndpoint } from "@/lib/docker/endpoint";
import { DockerError, toDockerError } from "@/lib/docker/errors";
import { SshDockerAgent } from "@/lib/docker/ssh";
import { explainClientCertRefusal } from "@/lib/docker/tls";

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
  /** The SSH host key fingerprint pinned on first use; null until the first successful connection. */
  sshHostKey?: string | null;
};

/** The SSH agents of the clients dockerFor made, to read the host key each one was shown. */
const sshAgents = new WeakMap<Docker, SshDockerAgent>();

/** The fingerprint of the SSH host key this client's last handshake saw; null for other kinds. */
export function sshHostKeySeen(docker: Docker): string | null {
  return sshAgents.get(docker)?.hostKeySeen ?? null;
}

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
      const docker = new Docker({
        ...common,
        host: endpoint.host,
        port: endpoint.port,
        protocol: tls ? "https" : "http",
        ...(tls ? { ca: host.tlsCa!, cert: host.tlsCert!, key: host.tlsKey! } : {}),
      });
      if (tls) explainRefusals(docker, { ca: host.tlsCa!, cert: host.tlsCert! }, host.name);
      return docker;
    }
    case "ssh": {
      if (!host.sshKey) throw new DockerError("SSH_AUTH_FAILED", "an ssh endpoint needs a private key", host.name);
      const agent = new SshDockerAgent({
        name: host.name,
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.username,
        privateKey: host.sshKey,
        pinnedHostKey: host.sshHostKey ?? null,
        readyTimeoutMs: Math.min(opts.timeoutMs ?? 10_000, 20_000),
      });
      // Plain HTTP through our agent: each connection is a `docker system dial-stdio` channel.
      const docker = new Docker({ ...common, protocol: "http", host: endpoint.host, port: endpoint.port, agent } as Docker.DockerOptions);
      sshAgents.set(docker, agent);
      return docker;
    }
  }
}

/**
 * A daemon that refuses the client certificate only sends a TLS alert; the cause (expired, or not
 * from the daemon's CA) is read from the certificate, for every call this client makes.
 */
function explainRefusals(docker: Docker, tls: { ca: string; cert: string }, hostName: string) {
  type Dial = (opts: object, cb: (err: unknown, data?: unknown) => void) => void;
  const modem = docker.modem as unknown as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (opts, cb) => dial(opts, (err, data) => (err ? cb(explainClientCertRefusal(err as { code?: string }, tls, hostName) ?? err, data) : cb(err, data)));
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
