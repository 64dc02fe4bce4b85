/** One problem with one configuration key, with the layer its value came from. */
export interface ConfigIssue {
  /** Dotted path of the key, e.g. `http.port`. */
  key: string;
  /** What is wrong, e.g. `expected number, got "abc"`. */
  message: string;
  /** Where the value came from, e.g. `env PORT`, `flag --http.port`, `file app.yaml`, `default`. */
  source: string;
}

/** Invalid or unknown configuration; the CLI prints the message and exits 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.key ? `${i.key}: ` : ""}${i.message} (from ${i.source})`).join("\n"));
  }
}
