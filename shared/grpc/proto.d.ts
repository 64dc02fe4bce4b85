// `with { type: "text" }` imports of the generated .proto files resolve to their text (embedded in binaries).
declare module "*.proto" {
  const text: string;
  export default text;
}
