import { NextResponse } from "next/server";
import { apiRoute, jsonBody } from "@/lib/api";
import { createHost, listHosts, toPublicHost } from "@/lib/hosts/service";
import { hostInputSchema } from "@/lib/validations/host";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async () => NextResponse.json({ hosts: (await listHosts()).map(toPublicHost) }));

export const POST = apiRoute(async (req) => {
  const input = hostInputSchema.parse(await jsonBody(req));
  const host = await createHost(input);
  return NextResponse.json(toPublicHost(host), { status: 201 });
});
