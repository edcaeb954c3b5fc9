import { describe, expect, it } from "vitest";
import { sshFingerprint } from "@/lib/docker/ssh";
import { DockerError, toDockerError } from "@/lib/docker/errors";
import { hostInputSchema } from "@/lib/validations/host";

const sysErr = (code: string, address?: string) => Object.assign(new Error(`connect ${code} ${address ?? ""}`), { code, address });
const httpErr = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode, json: { message } });

describe("toDockerError", () => {
  it("names a missing socket", () => {
    const e = toDockerError(sysErr("ENOENT", "/run/nope.sock"), "b");
    expect(e.code).toBe("UNREACHABLE");
    expect(e.message).toBe("b: socket /run/nope.sock does not exist (ENOENT): is the Docker daemon running?");
  });
  it("names refused connections and timeouts", () => {
    expect(toDockerError(sysErr("ECONNREFUSED", "127.0.0.1:2375")).message).toMatch(/refused 127\.0\.0\.1:2375/);
    expect(toDockerError(Object.assign(sysErr("ECONNREFUSED", "127.0.0.1"), { port: 22 })).message).toMatch(/refused 127\.0\.0\.1:22 /);
    expect(toDockerError(sysErr("ECONNREFUSED", "127.0.0.1:2375")).code).toBe("CONNECTION_REFUSED");
    expect(toDockerError(sysErr("ETIMEDOUT")).code).toBe("TIMEOUT");
  });
  it("maps daemon answers", () => {
    expect(toDockerError(httpErr(400, "client version 1.41 is too new. Maximum supported API version is 1.40")).code).toBe("API_TOO_OLD");
    expect(toDockerError(httpErr(404, "No such container: x")).code).toBe("NOT_FOUND");
    expect(toDockerError(httpErr(409, "Conflict. The container name is already in use")).code).toBe("CONFLICT");
    // A daemon's answer that happens to name TLS (an image tag) is still the daemon's answer.
    expect(toDockerError(httpErr(404, "no such image: ferry/counter:fleet-tls-1")).code).toBe("NOT_FOUND");
    const e = toDockerError(httpErr(500, "criu failed"), "a");
    expect(e).toBeInstanceOf(DockerError);
    expect(e.status).toBe(500);
    expect(e.message).toBe("a: Docker answered 500: criu failed");
  });
  it("maps TLS failures", () => {
    expect(toDockerError(sysErr("DEPTH_ZERO_SELF_SIGNED_CERT")).code).toBe("TLS_UNTRUSTED_SERVER");
    expect(toDockerError(sysErr("UNABLE_TO_VERIFY_LEAF_SIGNATURE")).message).toMatch(/not signed by the CA given for this host/);
    expect(toDockerError(sysErr("ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE")).code).toBe("TLS_CLIENT_CERT_REJECTED");
    expect(toDockerError(sysErr("ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED")).code).toBe("TLS_CLIENT_CERT_EXPIRED");
    expect(toDockerError(sysErr("ERR_TLS_CERT_ALTNAME_INVALID")).code).toBe("TLS");
  });
  it("names a refused SSH login", () => {
    const e = toDockerError(Object.assign(new Error("All configured authentication methods failed"), { level: "client-authentication" }), "b");
    expect(e.code).toBe("SSH_AUTH_FAILED");
  });
  it("fingerprints an SSH host key as OpenSSH does", () => {
    // ssh-keygen -lf of this ed25519 key's blob prints SHA256:<unpadded base64 of its SHA-256>.
    const blob = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", "base64");
    expect(sshFingerprint(blob)).toBe("SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"); // ssh-keygen -lf
  });
});

describe("hostInputSchema", () => {
  it("accepts a plain unix host and drops empty PEM fields", () => {
    const v = hostInputSchema.parse({ name: "host-b", endpoint: " unix:///run/x.sock ", tlsCa: "" });
    expect(v).toEqual({ name: "host-b", endpoint: "unix:///run/x.sock", tlsCa: undefined });
  });
  it("reads migration limits from form text or JSON numbers", () => {
    const base = { name: "b", endpoint: "unix:///run/b.sock" };
    expect(hostInputSchema.parse({ ...base, memoryBudgetMiB: "", maxConcurrency: "" })).toMatchObject({ memoryBudgetMiB: undefined, maxConcurrency: undefined });
    expect(hostInputSchema.parse({ ...base, memoryBudgetMiB: "512", maxConcurrency: 3 })).toMatchObject({ memoryBudgetMiB: 512, maxConcurrency: 3 });
    const bad = hostInputSchema.safeParse({ ...base, memoryBudgetMiB: "lots", maxConcurrency: "99" });
    expect(bad.error!.issues.map((i) => i.path[0])).toEqual(["memoryBudgetMiB", "maxConcurrency"]);
  });
  it("names every bad field", () => {
    const r = hostInputSchema.safeParse({ name: "-bad", endpoint: "ftp://x", tlsKey: "not pem" });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "endpoint", "tlsKey"]));
  });
});
