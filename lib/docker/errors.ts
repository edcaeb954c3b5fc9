/**
 * Typed Docker errors. Every failure that reaches a user names its cause and host:
 * "host-b: socket /run/x.sock does not exist (ENOENT)", not "failed".
 */
export type DockerErrorCode =
  | "UNREACHABLE" // socket missing, connection refused, DNS, SSH failure
  | "TIMEOUT"
  | "TLS" // certificate or handshake problems
  | "UNAUTHORIZED"
  | "API_TOO_OLD"
  | "EXPERIMENTAL_OFF"
  | "NOT_FOUND"
  | "CONFLICT"
  | "DOCKER"; // any other answer from the daemon

export class DockerError extends Error {
  constructor(
    readonly code: DockerErrorCode,
    message: string,
    readonly host?: string,
    readonly status?: number,
    readonly dockerMessage?: string,
  ) {
    super(host ? `${host}: ${message}` : message);
    this.name = "DockerError";
  }
}

type NodeishError = Error & {
  code?: string;
  errno?: number;
  address?: string;
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  level?: string;
};

/** Maps what dockerode / docker-modem / node throw to a DockerError with a readable cause. */
export function toDockerError(err: unknown, host?: string): DockerError {
  if (err instanceof DockerError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeishError;
  const code = e.code ?? "";
  const where = e.address ? ` ${e.address}` : "";
  if (code === "ENOENT") return new DockerError("UNREACHABLE", `socket${where} does not exist (ENOENT): is the Docker daemon running?`, host);
  if (code === "ECONNREFUSED") return new DockerError("UNREACHABLE", `connection refused${where} (ECONNREFUSED): nothing listens there`, host);
  if (code === "EACCES") return new DockerError("UNREACHABLE", `permission denied${where} (EACCES)`, host);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new DockerError("UNREACHABLE", `host name does not resolve (${code})`, host);
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new DockerError("UNREACHABLE", `no route to host (${code})`, host);
  if (code === "ECONNRESET" || code === "EPIPE") return new DockerError("UNREACHABLE", `connection reset by the peer (${code})`, host);
  if (code === "ETIMEDOUT" || code === "ESOCKETTIMEDOUT" || /timeout/i.test(e.message) && !e.statusCode)
    return new DockerError("TIMEOUT", `no answer within the time limit (${e.message})`, host);
  if (/^ERR_TLS|^ERR_SSL|CERT|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /SSL|TLS|certificate/i.test(e.message))
    return new DockerError("TLS", `TLS error: ${e.message}`, host);
  if (e.level === "client-authentication" || /All configured authentication methods failed/.test(e.message))
    return new DockerError("UNREACHABLE", `SSH authentication failed: ${e.message}`, host);
  if (e.level === "client-socket" || e.level === "client-timeout")
    return new DockerError("UNREACHABLE", `SSH connection failed: ${e.message}`, host);
  const status = e.statusCode;
  if (status) {
    const msg = (e.json && typeof e.json === "object" && e.json.message) || e.reason || e.message;
    if (status === 400 && /client version .* is too new/i.test(msg))
      return new DockerError("API_TOO_OLD", `the daemon's API is older than 1.41 (${msg})`, host, status, msg);
    if (status === 401 || status === 403) {
      if (/experimental/i.test(msg)) return new DockerError("EXPERIMENTAL_OFF", `experimental mode is off: ${msg}`, host, status, msg);
      return new DockerError("UNAUTHORIZED", msg, host, status, msg);
    }
    if (status === 404) return new DockerError("NOT_FOUND", msg, host, status, msg);
    if (status === 409) return new DockerError("CONFLICT", msg, host, status, msg);
    return new DockerError("DOCKER", `Docker answered ${status}: ${msg}`, host, status, msg);
  }
  return new DockerError("UNREACHABLE", e.message || "unknown error talking to Docker", host);
}
