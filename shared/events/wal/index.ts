export { decodePgOutput, formatLsn, type PgOutputMessage, parseLsn } from "./pgoutput.ts";
export {
  advanceSlot,
  defaultSlotNames,
  ensureSlot,
  peekBatch,
  retainedBytes,
  type SlotNames,
  type WalBatch,
  type WalOutboxEvent,
} from "./slot.ts";
export { startWalRelay, toOutgoing, type WalRelay, type WalRelayOptions } from "./wal-relay.ts";
