import { describe, expect, it } from "vitest";
import { EndpointError, formatEndpoint, parseEndpoint } from "@/lib/docker/endpoint";

describe("parseEndpoint", () => {
  it("reads unix sockets", () => {
    expect(parseEndpoint("unix:///var/run/docker.sock")).toEqual({ kind: "unix", socketPath: "/var/run/docker.sock" });
  });
  it("reads tcp with and without a port", () => {
    expect(parseEndpoint("tcp://docker.example:2375")).toEqual({ kind: "tcp", host: "docker.example", port: 2375 });
    expect(parseEndpoint("tcp://docker.example")).toEqual({ kind: "tcp", host: "docker.example", port: 2376 });
    expect(parseEndpoint("tcp://[::1]:2376")).toEqual({ kind: "tcp", host: "::1", port: 2376 });
  });
  it("reads ssh with user and optional port", () => {
    expect(parseEndpoint("ssh://deploy@docker.example")).toEqual({ kind: "ssh", username: "deploy", host: "docker.example", port: 22 });
    expect(parseEndpoint("ssh://deploy@docker.example:2222")).toMatchObject({ port: 2222 });
  });
  it.each([
    ["", /not an endpoint/],
    ["http://x:2375", /not an endpoint/],
    ["unix://relative.sock", /absolute path/],
    ["unix:///run/../etc/docker.sock", /'\.\.'/],
    ["tcp://host:99999", /outside 1-65535/],
    ["tcp://host:abc", /not a number/],
    ["tcp://user@host:2375", /takes no user/],
    ["ssh://docker.example", /needs a user/],
    ["tcp://bad_host!:2375", /not an endpoint|not a valid host/],
    ["tcp://host;rm -rf /:2375", /not an endpoint|not a valid host/],
  ])("refuses %j with a cause", (input, cause) => {
    expect(() => parseEndpoint(input)).toThrow(EndpointError);
    expect(() => parseEndpoint(input)).toThrow(cause);
  });
  it("formats back what it parsed", () => {
    for (const e of ["unix:///run/x.sock", "tcp://h.example:2375", "ssh://u@h.example", "ssh://u@h.example:2222"]) {
      expect(formatEndpoint(parseEndpoint(e))).toBe(e);
    }
  });
});
