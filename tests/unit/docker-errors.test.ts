import { describe, expect, it } from "vitest";
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
    expect(toDockerError(sysErr("ETIMEDOUT")).code).toBe("TIMEOUT");
  });
  it("maps daemon answers", () => {
    expect(toDockerError(httpErr(400, "client version 1.41 is too new. Maximum supported API version is 1.40")).code).toBe("API_TOO_OLD");
    expect(toDockerError(httpErr(404, "No such container: x")).code).toBe("NOT_FOUND");
    expect(toDockerError(httpErr(409, "Conflict. The container name is already in use")).code).toBe("CONFLICT");
    const e = toDockerError(httpErr(500, "criu failed"), "a");
    expect(e).toBeInstanceOf(DockerError);
    expect(e.status).toBe(500);
    expect(e.message).toBe("a: Docker answered 500: criu failed");
  });
  it("maps TLS failures", () => {
    expect(toDockerError(sysErr("DEPTH_ZERO_SELF_SIGNED_CERT")).code).toBe("TLS");
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
