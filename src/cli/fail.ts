/** Ends the CLI with a usage or set-up error (exit 2; exit 1 is reserved for failed operations). */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}
