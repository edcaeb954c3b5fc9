import { redirect } from "next/navigation";

export default function MigrationsPage() {
  redirect("/history");
}
