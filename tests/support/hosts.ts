import { db } from "@/lib/db";
import { createHost } from "@/lib/hosts/service";
import { LAB } from "./lab";

/** Lab hosts A and B registered in the test database (created once). */
export async function labHosts() {
  const out = {} as { a: { id: string; name: string }; b: { id: string; name: string } };
  for (const which of ["a", "b"] as const) {
    const h = (await db.host.findUnique({ where: { name: LAB[which].name } })) ?? (await createHost({ name: LAB[which].name, endpoint: LAB[which].endpoint }));
    out[which] = { id: h.id, name: h.name };
  }
  return out;
}
