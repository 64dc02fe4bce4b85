// `with { type: "file" }` imports resolve to a path string (embedded in compiled binaries).
declare module "swagger-ui-dist/*" {
  const path: string;
  export default path;
}
