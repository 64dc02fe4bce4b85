// The auth binary's composition root: the kit's service main with the auth module, plus `keys rotate`.
import { runServiceMain } from "@shared/service";
import { createApiDocument } from "./auth.app.ts";
import { authModule, keyRingFor, migrations } from "./auth.module.ts";

runServiceMain({
  module: authModule,
  migrations,
  description: "Accounts, sessions and roles: register, login, refresh, logout, JWKS.",
  openapi: createApiDocument,
  commands: ({ open }) => [
    {
      path: ["keys", "rotate"],
      summary: "make a new token signing key current (the old one stays published until tokens expire)",
      // A new signing key becomes current; the old one stays in the JWKS as previous.
      run: async (config, out) => {
        const { database, close } = await open(config);
        try {
          const keys = keyRingFor(config, database);
          await keys.init();
          out.write(`${JSON.stringify(await keys.rotate())}\n`);
          return 0;
        } finally {
          await close();
        }
      },
    },
  ],
}).then((code) => process.exit(code));
