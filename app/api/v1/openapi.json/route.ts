import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api";
import { openApiDocument } from "@/lib/openapi/document";

export const dynamic = "force-dynamic";

let cached: ReturnType<typeof openApiDocument> | undefined;

/** The OpenAPI 3.1 document of /api/v1, generated from the handlers' zod schemas; authenticated like every call. */
export const GET = apiRoute(async () => NextResponse.json((cached ??= openApiDocument())));
