import { classifyResponse, HttpClient, type HttpDeps } from "../http/mod.ts";
import { telegramErrors } from "./_telegram_errors.ts";
import type { AlertChannel, Notification } from "./alert.ts";
import { notificationHtml } from "./format_notification.ts";

/** Telegram's limit on a message's text. */
export const telegramMaxLength = 4096;

/** Settings of the Telegram channel. */
export interface TelegramChannelOptions {
  /** @default "https://api.telegram.org" */
  baseUrl: string;
  /** The bot token, read from the environment; it travels in the URL path, always redacted. */
  token: string;
  chatId: string;
  /** Every secret to keep out of messages (this token is always among them). */
  secrets?: () => readonly string[];
}

/**
 * Sends alerts with the Bot API's `sendMessage` in HTML parse mode, escaped, split into
 * messages of at most 4096 characters. A 400 with `migrate_to_chat_id` (the group became a
 * supergroup) switches to the new chat and sends again. Retry-After comes from
 * `parameters.retry_after`.
 */
export class TelegramChannel implements AlertChannel {
  readonly name: string;
  readonly #http: HttpClient;
  #chatId: string;

  constructor(
    options: TelegramChannelOptions,
    deps: HttpDeps,
    name = "telegram",
  ) {
    this.name = name;
    this.#chatId = options.chatId;
    this.#http = new HttpClient({
      service: `alerts:${name}`,
      baseUrl: `${options.baseUrl.replace(/\/+$/, "")}/bot${options.token}`,
      errors: telegramErrors,
      privateUrls: true,
      secrets: () => [options.token, ...(options.secrets?.() ?? [])],
    }, deps);
  }

  /** The chat messages go to (changes after a migration). */
  get chatId(): string {
    return this.#chatId;
  }

  async send(notification: Notification, signal?: AbortSignal): Promise<void> {
    for (const text of splitMessage(notificationHtml(notification), telegramMaxLength)) {
      await this.#sendText(text, signal);
    }
  }

  async #sendText(text: string, signal?: AbortSignal, migrated = false): Promise<void> {
    const response = await this.#http.request({
      method: "POST",
      path: "/sendMessage",
      json: {
        chat_id: this.#chatId,
        text,
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
      },
      acceptStatuses: [400],
      signal,
    });
    if (response.status === 200) return;
    const body = parseJson(response.body) as {
      description?: string;
      parameters?: { migrate_to_chat_id?: number | string };
    } | undefined;
    const newChat = body?.parameters?.migrate_to_chat_id;
    if (newChat !== undefined && !migrated) {
      // The group became a supergroup: its messages now go to the new chat id.
      this.#chatId = String(newChat);
      return this.#sendText(text, signal, true);
    }
    const { code, message } = body ? telegramErrors.readError(body) : {};
    throw classifyResponse(telegramErrors, {
      service: `alerts:${this.name}`,
      status: 400,
      code,
      message: message ? this.#http.redact(message) : undefined,
    });
  }

  /** GET /getMe: the token works. */
  async probe(): Promise<void> {
    await this.#http.request({ method: "GET", path: "/getMe" });
  }
}

/**
 * Splits `text` into pieces of at most `max` characters, at line breaks where it can, never
 * inside an HTML tag or entity.
 */
export function splitMessage(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf("\n", max);
    if (cut < max / 2) cut = max;
    // Do not cut inside a tag (<...>) or an entity (&...;).
    const lastOpen = Math.max(rest.lastIndexOf("<", cut - 1), rest.lastIndexOf("&", cut - 1));
    const lastClose = Math.max(rest.lastIndexOf(">", cut - 1), rest.lastIndexOf(";", cut - 1));
    if (lastOpen > lastClose && lastOpen > 0) cut = lastOpen;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, "");
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
