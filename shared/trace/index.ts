export {
  childOf,
  createIdSource,
  formatTraceparent,
  type IdSource,
  parseTraceparent,
  spanInTrace,
  type TraceParent,
  traceIdOf,
} from "./traceparent.ts";
