import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-3 p-6">
      <h1 className="text-xl font-semibold">Not found</h1>
      <Link className="text-teal-700 underline" href="/containers">
        Back to the containers
      </Link>
    </main>
  );
}
