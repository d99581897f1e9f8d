import { ConfigError } from "../errors.ts";

/**
 * Reads secrets from the environment variables the config names, collecting every missing one
 * so that a single ConfigError (exit 2) lists them all.
 */
export class SecretReader {
  readonly #env: (name: string) => string | undefined;
  readonly #missing: string[] = [];
  readonly #known: Set<string>;

  /** `known` collects every secret read: share one set so every component can redact all. */
  constructor(env: (name: string) => string | undefined, known = new Set<string>()) {
    this.#env = env;
    this.#known = known;
  }

  /** The value of `variable`, or "" (noted as missing, with `path` and what to export). */
  read(path: string, variable: string, what = "the secret"): string {
    const value = this.#env(variable)?.trim();
    if (value) this.#known.add(value);
    if (!value) {
      this.#missing.push(
        `${path}: environment variable ${variable} is not set; export it with ${what}`,
      );
    }
    return value ?? "";
  }

  /** Every secret read so far: each is redacted from every message, alert and log line. */
  known(): readonly string[] {
    return [...this.#known];
  }

  /** Throws a ConfigError listing every missing variable, if any. */
  throwIfMissing(): void {
    if (this.#missing.length > 0) throw new ConfigError(this.#missing);
  }
}
