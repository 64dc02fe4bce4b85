import { describe } from "bun:test";
import { freePort } from "../db/index.ts";
import { clientFaultSuite } from "../testing/client-faults.ts";
import { itemsSchema } from "./items.fixtures.ts";
import { serveGrpc } from "./server.ts";
import { grpcTransport } from "./transport.ts";

const silent = { info() {}, error() {} };

describe("the endpoint client over gRPC", () => {
  clientFaultSuite(
    async (contract, endpoints) => {
      const schema = itemsSchema(contract);
      const server = await serveGrpc({
        host: "127.0.0.1",
        port: 0,
        schema,
        endpoints,
        maxMessageBytes: 1 << 20,
        defaultTimeoutMs: 5000,
        identity: null,
        readiness: { checks: {} },
        logger: silent,
      });
      const transport = grpcTransport({ address: `127.0.0.1:${server.port}`, schema });
      return {
        transport,
        async stop() {
          transport.close();
          await server.stop(100);
        },
      };
    },
    async (contract) => {
      // a port nobody listens on: connection refused, as a stopped catalog
      const transport = grpcTransport({ address: `127.0.0.1:${await freePort()}`, schema: itemsSchema(contract) });
      return { transport, stop: async () => transport.close() };
    },
  );
});
