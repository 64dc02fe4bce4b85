import { identityVerificationSuite } from "@shared/testing/identity-suite.ts";
import { ordersModule } from "../src/server.ts";

identityVerificationSuite(ordersModule, { path: "/orders" });
