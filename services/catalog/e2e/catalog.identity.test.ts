import { identityVerificationSuite } from "@shared/testing/identity-suite.ts";
import { catalogModule } from "../src/catalog.module.ts";

identityVerificationSuite(catalogModule, { path: "/products?limit=1" });
