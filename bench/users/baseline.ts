// The baseline the users service is measured against: plain Bun.serve + postgres.js doing the same
// query for GET /users/:id, with no framework, validation, logging or metrics.
import postgres from "postgres";

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.POOL_MAX ?? 10) });
const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  async fetch(req) {
    const id = new URL(req.url).pathname.split("/")[2] ?? "";
    const [row] =
      await sql`select id, email, display_name, created_at, updated_at from users.profiles where id = ${id}`;
    if (!row) return new Response("not found", { status: 404 });
    return Response.json({
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    });
  },
});
console.log(`baseline on ${server.port}`);
