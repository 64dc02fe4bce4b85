export { accessLog } from "./access-log.ts";
export { createHttpApp, type HttpAppOptions } from "./app.ts";
export { requireContentType } from "./content-type.ts";
export type { AppEnv, Identity } from "./env.ts";
export { identityOf, requireIdentity } from "./identity.ts";
export { ProblemSchema, problemResponses } from "./openapi.ts";
export { fieldErrorsOf, problemResponse, toAppError, validationHook } from "./problem.ts";
export { requestContext, traceIdFrom } from "./request-context.ts";
export { serveHttp } from "./serve.ts";
