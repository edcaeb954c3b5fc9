/**
 * Docker endpoints as a user types them, parsed into a typed form. Pure: no I/O.
 *   unix:///var/run/docker.sock
 *   tcp://docker.example:2376           (TLS when a CA, cert and key are given)
 *   ssh://deploy@docker.example[:22]    (key-based)
 */
export type Endpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "ssh"; username: string; host: string; port: number };

export class EndpointError extends Error {
  readonly code = "BAD_ENDPOINT";
}

const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d{1,5}$/.test(raw)) throw new EndpointError(`port "${raw}" is not a number`);
  const port = Number(raw);
  if (port < 1 || port > 65535) throw new EndpointError(`port ${port} is outside 1-65535`);
  return port;
}

function checkHost(host: string): string {
  if (!host) throw new EndpointError("the endpoint names no host");
  if (!HOSTNAME.test(host) && !IPV6.test(host)) throw new EndpointError(`"${host}" is not a valid host name or address`);
  return host.replace(/^\[|\]$/g, "");
}

export function parseEndpoint(input: string): Endpoint {
  const value = input.trim();
  if (value.startsWith("unix://")) {
    const socketPath = value.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw new EndpointError("a unix endpoint needs an absolute path: unix:///var/run/docker.sock");
    if (socketPath.includes("\0") || socketPath.split("/").includes("..")) throw new EndpointError("the socket path may not contain '..' or NUL");
    if (socketPath.length > 107) throw new EndpointError("the socket path is longer than 107 characters");
    return { kind: "unix", socketPath };
  }
  const m = /^(tcp|ssh):\/\/(?:([A-Za-z0-9._-]{1,64})@)?(\[[0-9A-Fa-f:.]+\]|[^:/@\s]+)(?::([^/]*))?\/?$/.exec(value);
  if (!m) throw new EndpointError(`"${value}" is not an endpoint; use unix:///path, tcp://host:port or ssh://user@host`);
  const [, scheme, user, rawHost, rawPort] = m as unknown as [string, "tcp" | "ssh", string | undefined, string, string | undefined];
  const host = checkHost(rawHost);
  if (scheme === "tcp") {
    if (user) throw new EndpointError("a tcp endpoint takes no user name");
    return { kind: "tcp", host, port: parsePort(rawPort, 2376) };
  }
  if (!user) throw new EndpointError("an ssh endpoint needs a user: ssh://user@host");
  return { kind: "ssh", username: user, host, port: parsePort(rawPort, 22) };
}

export function formatEndpoint(e: Endpoint): string {
  switch (e.kind) {
    case "unix":
      return `unix://${e.socketPath}`;
    case "tcp":
      return `tcp://${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
    case "ssh":
      return `ssh://${e.username}@${e.host.includes(":") ? `[${e.host}]` : e.host}${e.port === 22 ? "" : `:${e.port}`}`;
  }
}
