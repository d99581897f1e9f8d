import { ConfigError } from "../errors.ts";

/**
 * Reads secrets from the environment variables the config names, collecting every missing one
 * so that a single ConfigError (exit 2) lists them all.
 */
export class SecretReader {
  readonly #env: (name: string) => string | undefined;
  readonly #missing: string[] = [];

  constructor(env: (name: string) => string | undefined) {
    this.#env = env;
  }

  /** The value of `variable`, or "" (noted as missing, with `path` and what to export). */
  read(path: string, variable: string, what = "the secret"): string {
    const value = this.#env(variable)?.trim();
    if (!value) {
      this.#missing.push(
        `${path}: environment variable ${variable} is not set; export it with ${what}`,
      );
    }
    return value ?? "";
  }

  /** Throws a ConfigError listing every missing variable, if any. */
  throwIfMissing(): void {
    if (this.#missing.length > 0) throw new ConfigError(this.#missing);
  }
}
