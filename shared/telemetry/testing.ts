// What tests of traced code use: an OTLP receiver and the spans it decoded.
export { decodeJsonTraces, decodeProtobufTraces, type ReceivedSpan } from "./otlp-decode.ts";
export { type OtlpReceiver, startOtlpReceiver } from "./receiver.ts";
