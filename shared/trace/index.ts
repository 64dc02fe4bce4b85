export {
  childOf,
  createIdSource,
  formatTraceparent,
  type IdSource,
  parseTraceparent,
  type TraceParent,
} from "./traceparent.ts";
