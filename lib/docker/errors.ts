/**
 * Typed Docker errors. Every failure that reaches a user names its cause and host:
 * "host-b: socket /run/x.sock does not exist (ENOENT)", not "failed".
 */
export type DockerErrorCode =
  | "UNREACHABLE" // socket missing, DNS, no route, connection reset
  | "CONNECTION_REFUSED" // nothing listens at that address and port
  | "TIMEOUT"
  | "TLS" // other certificate or handshake problems (incomplete TLS material, a name mismatch)
  | "TLS_UNTRUSTED_SERVER" // the daemon's certificate is not signed by the CA given for the host
  | "TLS_CLIENT_CERT_EXPIRED" // the daemon refused Ferry's client certificate: it expired
  | "TLS_CLIENT_CERT_REJECTED" // the daemon refused Ferry's client certificate: not from a CA it trusts
  | "SSH_HOST_KEY_CHANGED" // the server's host key is not the one pinned on first use
  | "SSH_AUTH_FAILED" // the SSH server refused the login (user or key)
  | "SSH_NO_DOCKER" // logged in, but `docker system dial-stdio` is not there
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

/** Node's codes for a server certificate that does not chain to the CA Ferry was given. */
const UNTRUSTED_SERVER = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE)$/;
/**
 * TLS alerts a daemon sends when it refuses the client certificate. Docker 20.10 (Go 1.19) sends
 * "bad certificate" for every refusal, an expired certificate included; lib/docker/tls.ts then
 * tells the causes apart from the certificate itself.
 */
export const CLIENT_CERT_REFUSED = /^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA|TLSV13_ALERT_CERTIFICATE_REQUIRED|SSLV3_ALERT_UNSUPPORTED_CERTIFICATE|SSLV3_ALERT_CERTIFICATE_UNKNOWN)$/;

type NodeishError = Error & {
  code?: string;
  errno?: number;
  address?: string;
  port?: number;
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
  const where = e.address ? ` ${e.address}${e.port ? `:${e.port}` : ""}` : "";
  if (code === "ENOENT") return new DockerError("UNREACHABLE", `socket${where} does not exist (ENOENT): is the Docker daemon running?`, host);
  if (code === "ECONNREFUSED") return new DockerError("CONNECTION_REFUSED", `connection refused${where} (ECONNREFUSED): nothing listens there`, host);
  if (code === "EACCES") return new DockerError("UNREACHABLE", `permission denied${where} (EACCES)`, host);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new DockerError("UNREACHABLE", `host name does not resolve (${code})`, host);
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new DockerError("UNREACHABLE", `no route to host (${code})`, host);
  if (code === "ECONNRESET" || code === "EPIPE") return new DockerError("UNREACHABLE", `connection reset by the peer (${code})`, host);
  if (code === "ETIMEDOUT" || code === "ESOCKETTIMEDOUT" || /timeout/i.test(e.message) && !e.statusCode)
    return new DockerError("TIMEOUT", `no answer within the time limit (${e.message})`, host);
  if (UNTRUSTED_SERVER.test(code))
    return new DockerError(
      "TLS_UNTRUSTED_SERVER",
      `the daemon's TLS certificate is not signed by the CA given for this host (${code}: ${e.message}); give the CA that signed the daemon's certificate`,
      host,
    );
  if (code === "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED")
    return new DockerError("TLS_CLIENT_CERT_EXPIRED", `the daemon refused the client certificate: it has expired (${code})`, host);
  if (CLIENT_CERT_REFUSED.test(code))
    return new DockerError("TLS_CLIENT_CERT_REJECTED", `the daemon refused the client certificate (${code}): it trusts only client certificates signed by its own CA`, host);
  if (/^ERR_TLS|^ERR_SSL|CERT|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || (!e.statusCode && /SSL|TLS|certificate/i.test(e.message)))
    return new DockerError("TLS", `TLS error: ${e.message}`, host);
  if (e.level === "client-authentication" || /All configured authentication methods failed/.test(e.message))
    return new DockerError("SSH_AUTH_FAILED", `the SSH server refused the login: ${e.message}`, host);
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
