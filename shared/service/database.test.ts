import { describe, expect, test } from "bun:test";
import { freePort } from "../db/embedded.ts";
import { createDatabase } from "../db/index.ts";
import { createLogger } from "../log/index.ts";
import { migrateCommands } from "./database.ts";

describe("migrateCommands", () => {
  test("migrate up and status on a database nothing listens for say where and why, and never the password", async () => {
    const port = await freePort();
    const logger = createLogger({ service: "t", version: "0", level: "silent" });
    const commands = migrateCommands<null>({
      schema: "t",
      migrations: [],
      open: async () => {
        const database = createDatabase({
          url: `postgres://app:s3cret@127.0.0.1:${port}/shop`,
          schema: "t",
          pool: { max: 1, idleTimeoutSec: 1, connectTimeoutSec: 2 },
        });
        return { database, logger, close: () => database.close(0) };
      },
      print: () => {},
    });
    const expected = `cannot use the database at 127.0.0.1:${port}/shop: nothing listens there`;
    for (const run of [commands.up, commands.status]) {
      const err = (await run(null).then(
        () => null,
        (e: unknown) => e,
      )) as Error | null;
      expect(err?.message).toStartWith(expected);
      expect(err?.message).not.toContain("s3cret");
    }
  });
});
