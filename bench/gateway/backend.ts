// The benchmark's upstream: small JSON answers, plus /__conns, which counts the TCP connections seen since
// the last /__reset (distinct client address:port pairs), so the harness can tell keep-alive from
// reconnecting. Usage: bun bench/gateway/backend.ts PORT
const port = Number(process.argv[2] ?? 0);
const seen = new Set<string>();

const product = JSON.stringify({ id: "p-1", name: "Teapot", price: { amount: 1999, currency: "EUR" }, stock: 12 });
const profile = JSON.stringify({ id: "u-1", name: "Ada", email: "ada@example.test" });
const orders = JSON.stringify({
  orders: [
    { id: "o-1", total: 1999 },
    { id: "o-2", total: 4999 },
  ],
});
const json = { "content-type": "application/json" };
const cacheable = { "content-type": "application/json", "cache-control": "public, max-age=3600", etag: '"p-1-v1"' };

const server = Bun.serve({
  port,
  hostname: "127.0.0.1",
  fetch(req, srv) {
    const path = req.url.slice(req.url.indexOf("/", 8));
    if (!path.startsWith("/__")) {
      const ip = srv.requestIP(req);
      if (ip) seen.add(`${ip.address}:${ip.port}`);
    }
    switch (path) {
      case "/json":
        return new Response(product, { headers: json });
      case "/profile":
        return new Response(profile, { headers: json });
      case "/orders":
        return new Response(orders, { headers: json });
      case "/cached":
        return new Response(product, { headers: cacheable });
      case "/__conns":
        return Response.json({ connections: seen.size });
      case "/__reset":
        seen.clear();
        return Response.json({ ok: true });
      default:
        return new Response("not found", { status: 404 });
    }
  },
});
console.log(`ready ${server.port}`);
