import { identityVerificationSuite } from "@shared/testing/identity-suite.ts";
import { ordersModule } from "../src/orders.module.ts";

identityVerificationSuite(ordersModule, { path: "/orders" });
