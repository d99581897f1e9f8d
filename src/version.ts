import denoJson from "../deno.json" with { type: "json" };

/** The agent's version, printed by `--version` and shown on `/status`: `deno.json`'s, the one
 * place it is set. */
export const version: string = denoJson.version;
