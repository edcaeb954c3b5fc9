import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api";
import { queryContainers } from "@/lib/hosts/containers";
import { containerQuerySchema } from "@/lib/validations/containers";

export const dynamic = "force-dynamic";

/** Containers across hosts, filtered (?host=&state=&name=&image=); a host that cannot be listed is an entry in `errors`. */
export const GET = apiRoute(async (req) =>
  NextResponse.json(await queryContainers(containerQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams)))),
);
