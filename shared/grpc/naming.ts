// The naming rules of the generated protos, one place for the generator and the runtime codec:
// rpc names from contract names, lower_snake_case fields, PascalCase types, prefixed enum values.

/** `priceMinor` -> `price_minor`, `access_token` stays, `URLPath` -> `url_path`; anything else becomes `_`. */
export function snakeCaseOf(key: string): string {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
  if (snake === "") return "field";
  return /^[0-9]/.test(snake) ? `f_${snake}` : snake;
}

/** `order-placed` -> `OrderPlaced`, `getOne` -> `GetOne`, `products` -> `Products`. */
export function pascalCaseOf(text: string): string {
  const words = text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "");
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  if (pascal === "") return "Value";
  return /^[0-9]/.test(pascal) ? `T${pascal}` : pascal;
}

/** `Status` -> `STATUS`, `OrderKind` -> `ORDER_KIND`, `order-placed` -> `ORDER_PLACED`. */
export function upperSnakeCaseOf(text: string): string {
  return snakeCaseOf(text).toUpperCase();
}

/** The JSON name protoc gives a field by default (`price_minor` -> `priceMinor`). */
export function defaultJsonNameOf(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, "");
}

/**
 * The name of the rpc serving a contract: the contract's name without the service's own first segment,
 * every segment PascalCased and joined (`catalog.products.get` -> `ProductsGet`, `catalog.products.getOne`
 * -> `ProductsGetOne`, `auth.login` -> `Login`, `notifications.list` in notifier -> `NotificationsList`).
 * Entity first, verb last, so a service's rpcs sort by entity; the rule never looks at grammar, so a
 * contract's rpc name changes only when the contract is renamed.
 */
export function rpcNameOf(service: string, contractName: string): string {
  const segments = contractName.split(".");
  const own = segments.length > 1 && segments[0] === service ? segments.slice(1) : segments;
  return own.map(pascalCaseOf).join("");
}

/** `catalog` -> `CatalogService`. */
export function serviceNameOf(service: string): string {
  return `${pascalCaseOf(service)}Service`;
}

/** `catalog` -> `shop.catalog.v1`. */
export function packageNameOf(service: string): string {
  return `shop.${snakeCaseOf(service)}.v1`;
}

/** The repository-relative path of a service's proto file: `proto/shop/<svc>/v1/<svc>.proto`. */
export function protoPathOf(service: string): string {
  return `proto/${protoFileNameOf(service)}`;
}

/** The file's name inside the buf module (`shop/<svc>/v1/<svc>.proto`): what descriptors and imports use. */
export function protoFileNameOf(service: string): string {
  const s = snakeCaseOf(service);
  return `shop/${s}/v1/${s}.proto`;
}

/**
 * A list's element type named from the list's field: a plain English plural loses its `s`
 * (`lines` -> `Line`, `products` -> `Product`, `categories` -> `Category`); anything else gets `Item`.
 */
export function elementTypeNameOf(listKey: string): string {
  const name = pascalCaseOf(listKey);
  if (/[^aeiou]ies$/.test(name) && name.length > 4) return `${name.slice(0, -3)}y`;
  if (/(?:x|ch|sh|ss)es$/.test(name)) return name.slice(0, -2);
  if (/[^su]s$/.test(name) && !/is$/.test(name) && name.length > 3) return name.slice(0, -1);
  return `${name}Item`;
}
