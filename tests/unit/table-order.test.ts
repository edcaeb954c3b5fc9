import { describe, expect, it } from "vitest";
import type { ContainerRow } from "@/lib/hosts/containers";
import { DEFAULT_SORT, inTableOrder } from "@/lib/hosts/order";

const row = (hostName: string, name: string, createdAt: string): ContainerRow => ({
  id: `${hostName}-${name}`,
  name,
  image: "ferry/counter:lab",
  state: "running",
  status: "Up",
  createdAt,
  uptimeSeconds: 1,
  labels: {},
  hostId: hostName,
  hostName,
  memoryBytes: null,
});

describe("a batch in the containers table's order", () => {
  // As Docker lists them: newest first.
  const docker = [row("lab-a", "counter-10", "2026-01-03"), row("lab-a", "counter-2", "2026-01-02"), row("lab-a", "counter-1", "2026-01-01"), row("lab-b", "web", "2026-01-04")];
  const names = (rows: ContainerRow[]) => rows.map((r) => `${r.hostName}/${r.name}`);

  it("by default: host, then name with numbers in number order, not Docker's newest-first", () => {
    expect(names(inTableOrder(docker, DEFAULT_SORT))).toEqual(["lab-a/counter-1", "lab-a/counter-2", "lab-a/counter-10", "lab-b/web"]);
  });
  it("follows the column and direction the user sorted by, and leaves its input alone", () => {
    expect(names(inTableOrder(docker, { key: "name", dir: -1 }))).toEqual(["lab-b/web", "lab-a/counter-10", "lab-a/counter-2", "lab-a/counter-1"]);
    expect(names(inTableOrder(docker, { key: "created", dir: 1 }))).toEqual(["lab-a/counter-1", "lab-a/counter-2", "lab-a/counter-10", "lab-b/web"]);
    expect(names(docker)[0]).toBe("lab-a/counter-10");
  });
});
