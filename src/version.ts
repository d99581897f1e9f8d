/** The agent's version, printed by `--version` and shown on `/status`. */
export const version = "0.1.0";
