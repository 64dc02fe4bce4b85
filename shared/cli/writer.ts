/** Where the CLI writes; `process.stdout` fits. */
export interface Writer {
  write(text: string): unknown;
}
