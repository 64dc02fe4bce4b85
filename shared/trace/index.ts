export {
  childOf,
  createIdSource,
  formatTraceparent,
  type IdSource,
  parseTraceparent,
  spanInTrace,
  type TraceParent,
} from "./traceparent.ts";
