import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/openapi/document";
import { hostPatchSchema } from "@/lib/validations/host";

type Doc = {
  openapi: string;
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown>; requestBody?: unknown }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }> };
};

const API = path.join("app", "api", "v1");
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Every handler in the source tree: its OpenAPI path (/api/v1/hosts/{id}) and the methods its route file exports. */
const HANDLERS = walk(API)
  .filter((f) => /^route\.(ts|tsx|js)$/.test(path.basename(f)))
  .flatMap((f) => {
    const url = `/${path.dirname(path.relative("app", f)).split(path.sep).map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/")}`;
    const src = fs.readFileSync(f, "utf8");
    const methods = [...src.matchAll(/export\s+(?:const|async\s+function|function)\s+([A-Z]+)\b/g)].map((m) => m[1]!).filter((m) => METHODS.includes(m));
    return methods.map((m) => ({ file: f, url, method: m.toLowerCase() }));
  });

const doc = openApiDocument() as Doc;

describe("the OpenAPI document", () => {
  it("describes every handler under app/api/v1, and nothing that is not one", () => {
    expect(HANDLERS.length).toBeGreaterThanOrEqual(11);
    const missing = HANDLERS.filter((h) => !doc.paths[h.url]?.[h.method]).map((h) => `${h.method.toUpperCase()} ${h.url} (${h.file})`);
    expect(missing, "handlers the document does not describe: add them to OPERATIONS in lib/openapi/document.ts").toEqual([]);
    const described = Object.entries(doc.paths).flatMap(([url, ops]) => Object.keys(ops).map((m) => `${m} ${url}`));
    expect(described.sort()).toEqual(HANDLERS.map((h) => `${h.method} ${h.url}`).sort());
  });

  it("is OpenAPI 3.1 with every call authenticated by a bearer token or the session cookie", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.security).toEqual([{ bearerToken: [] }, { sessionCookie: [] }]);
    expect(doc.components.securitySchemes.bearerToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: "apiKey", in: "cookie", name: "ferry_session" });
    for (const [url, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses), `${method} ${url}`).toEqual(expect.arrayContaining(["401", "403"]));
        // Every {param} of the path is a parameter of the operation.
        for (const [, name] of url.matchAll(/\{(\w+)\}/g)) expect(op.parameters?.some((p) => p.in === "path" && p.name === name), `${method} ${url}: {${name}}`).toBe(true);
        if (["post", "patch", "put"].includes(method) && !url.endsWith("/cancel")) expect(op.requestBody, `${method} ${url}: body`).toBeDefined();
      }
    }
  });

  it("every $ref points at a schema it defines", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const r of new Set(refs)) expect(doc.components.schemas, r).toHaveProperty(r);
  });

  it("is generated from the handlers' own schemas: the edit body is hostPatchSchema, filters are the containers query", () => {
    const patch = doc.components.schemas.HostPatch as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(patch.properties).sort()).toEqual(Object.keys(hostPatchSchema.shape).sort());
    expect(patch.additionalProperties).toBe(false);
    const filters = doc.paths["/api/v1/containers"]!.get!.parameters!.map((p) => p.name);
    expect(filters).toEqual(["host", "state", "name", "image"]);
    // Secrets are write-only: no response schema has a field that could carry one.
    for (const name of ["Host", "Container", "Migration"]) expect(JSON.stringify(doc.components.schemas[name])).not.toMatch(/tlsKey|tlsCert|tlsCa|sshKey/);
  });
});
