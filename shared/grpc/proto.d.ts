// `with { type: "text" }` imports of the generated protos resolve to their text (embedded in compiled binaries).
declare module "*.proto" {
  const text: string;
  export default text;
}
