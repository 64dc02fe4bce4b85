// A throwaway database for one benchmark run, on the server DATABASE_URL names (local PostgreSQL by default).
import postgres from "postgres";

/** A database made for one run: its URL, and `drop` to remove it at the end. */
export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a database named `<prefix>_<time>` on the configured server. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `${prefix}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
