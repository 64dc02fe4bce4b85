import { identityVerificationSuite } from "@shared/testing/identity-suite.ts";
import { usersModule } from "../src/users.module.ts";

identityVerificationSuite(usersModule, { path: "/users/0190d9a4-6b1e-7c3a-9f51-0000000000a1" });
