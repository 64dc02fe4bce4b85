/** An SQL identifier in double quotes, embedded quotes doubled: `orders` -> `"orders"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
