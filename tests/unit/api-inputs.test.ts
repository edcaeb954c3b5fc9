import { describe, expect, it } from "vitest";
import { containerMatches, containerQuerySchema } from "@/lib/validations/containers";
import { fieldErrors, hostPatchSchema } from "@/lib/validations/host";

describe("hostPatchSchema (edit form and PATCH /api/v1/hosts/{id})", () => {
  it("keeps what is left out, resets a limit given as null or an empty form field", () => {
    expect(hostPatchSchema.parse({})).toEqual({});
    expect(hostPatchSchema.parse({ maxConcurrency: 3 })).toEqual({ maxConcurrency: 3 });
    expect(hostPatchSchema.parse({ memoryBudgetMiB: null, maxConcurrency: "" })).toEqual({ memoryBudgetMiB: null, maxConcurrency: null });
    expect(hostPatchSchema.parse({ memoryBudgetMiB: "512", clearSecrets: true, tlsKey: "" })).toEqual({ memoryBudgetMiB: 512, clearSecrets: true, tlsKey: undefined });
  });
  it("names each bad field and refuses unknown ones", () => {
    const r = hostPatchSchema.safeParse({ name: "", endpoint: "tcp://x", maxConcurrency: 33, clearSecrets: "yes" });
    expect(fieldErrors(r.error!)).toEqual({
      name: ["Name is required", "Name may use letters, digits, '.', '_' and '-', starting with a letter or digit"],
      endpoint: ["a tcp endpoint needs a port: tcp://host:2376 (TLS) or tcp://host:2375"],
      maxConcurrency: ["Concurrent migrations must be between 1 and 32"],
      clearSecrets: ["clearSecrets must be true or false"],
    });
    expect(fieldErrors(hostPatchSchema.safeParse({ tlsKey: "x", admin: true }).error!)).toMatchObject({ _: ["Unknown field(s): admin"] });
  });
});

describe("containerQuerySchema (GET /api/v1/containers)", () => {
  it("takes the four filters, each optional", () => {
    expect(containerQuerySchema.parse({})).toEqual({});
    expect(containerQuerySchema.parse({ host: "ferry-lab-b", state: "running", name: "counter", image: "busybox" })).toEqual({ host: "ferry-lab-b", state: "running", name: "counter", image: "busybox" });
  });
  it("refuses an unknown filter by name, and bad values by field", () => {
    expect(fieldErrors(containerQuerySchema.safeParse({ status: "up", name: "x" }).error!)).toEqual({ _: ["Unknown filter(s): status (filters are host, state, name, image)"] });
    expect(fieldErrors(containerQuerySchema.safeParse({ state: "up", host: "../etc" }).error!)).toEqual({
      host: ["host must be a host's id or name (up to 64 letters, digits, '.', '_' or '-')"],
      state: ["state must be one of created, restarting, running, removing, paused, exited, dead"],
    });
  });
  it("matches state exactly and name and image as parts, in any case", () => {
    const c = { name: "Counter-007", image: "ferry/counter:lab", state: "running" };
    expect(containerMatches(c, { state: "running", name: "counter-0", image: "COUNTER" })).toBe(true);
    expect(containerMatches(c, { state: "exited" })).toBe(false);
    expect(containerMatches(c, { name: "redis" })).toBe(false);
    expect(containerMatches(c, { image: "nginx" })).toBe(false);
  });
});
