export { drainServer, type StoppableServer } from "./drain.ts";
export {
  createLifecycle,
  type Lifecycle,
  type LifecycleLogger,
  type LifecycleOptions,
  type StopContext,
  type StopStep,
  UNHANDLED_REJECTION,
} from "./lifecycle.ts";
export { withTimeout } from "./timeout.ts";
