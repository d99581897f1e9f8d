/**
 * Every retry, breaker, health and timeout parameter of the agent, in one place. A JSON file
 * given with `--config` is merged over these values; `services.<name>.retry` and
 * `services.<name>.breaker` override the global sections for one service.
 * `docs/configuration.md` documents each key with its default (a test holds it to this file).
 */
export const defaultConfig = {
  retry: {
    /** Retries after the first attempt. */
    maxRetries: 3,
    /** Delay before the first retry: delays are 5 s, 10 s, 20 s (+ jitter). */
    initialDelayMs: 5_000,
    /** Growth factor: delay = initialDelayMs * base^attempt + jitter. */
    base: 2,
    /** No delay exceeds this, jitter included. */
    maxDelayMs: 60_000,
    /** additive | full | equal | decorrelated | none */
    jitter: "additive",
    /** Width of the additive jitter, [0, jitterMs). */
    jitterMs: 1_000,
    /** A Retry-After above this gives up at once. */
    maxRetryAfterMs: 60_000,
  },
  /**
   * Each service's retry budget (Finagle's): retries sent to it may be at most `ratio` of its
   * first attempts over the last `windowMs`, plus `minPerSecond` per second of the window. A
   * retry the budget refuses ends the call as a failure of the service (the contact is
   * deferred, not failed): many workers retrying a struggling provider cannot multiply its load.
   */
  retryBudget: {
    ratio: 0.2,
    windowMs: 10_000,
    minPerSecond: 1,
  },
  breaker: {
    /** consecutive | failure-rate */
    mode: "consecutive",
    /** Consecutive failed attempts that open the breaker. */
    failureThreshold: 3,
    /** Failure share that opens it in failure-rate mode. */
    failureRateThreshold: 0.5,
    /** Calls in the failure-rate window. */
    slidingWindowSize: 20,
    /** Calls needed in the window before a rate is judged. */
    minimumCalls: 10,
    /** Time OPEN before a trial may go through. */
    recoveryTimeoutMs: 30_000,
    /** Trial calls at once while HALF_OPEN. */
    halfOpenMaxCalls: 1,
    /** Successful trials that close it. */
    successThreshold: 1,
    /** OPEN waits for a healthy probe too, so no contact is spent on a dead service. */
    halfOpenRequiresHealthyProbe: true,
    /** A trial still unfinished after this long reopens the breaker. */
    halfOpenMaxWaitMs: 120_000,
  },
  health: {
    /** Time between probes of one service. */
    intervalMs: 10_000,
    /** A probe slower than this is unhealthy. */
    timeoutMs: 5_000,
  },
  /**
   * Each service: `kind` picks the adapter (`mock` needs nothing, so a new machine runs out of
   * the box); the adapter's own section holds its settings. Secrets are never here: the
   * config names the environment variable (`apiKeyEnv`, `tokenEnv`) that holds them.
   */
  services: {
    llm: {
      /** mock | openai (any OpenAI-compatible Chat Completions API) | anthropic */
      kind: "mock",
      /** Deadline of one attempt. */
      timeoutMs: 30_000,
      /** Calls in flight at once across all workers (the service's one bulkhead). */
      maxInFlight: 16,
      /** Longest wait for a free slot; a wait never counts against the service. */
      slotWaitMs: 60_000,
      mock: { latencyMs: 0, faults: [] },
      openai: {
        baseUrl: "https://api.openai.com/v1",
        model: "gpt-4o-mini",
        temperature: 0.7,
        maxTokens: 300,
        /** Empty: the built-in script-writer prompt. */
        systemPrompt: "",
        apiKeyEnv: "OPENAI_API_KEY",
      },
      /** Anthropic's Messages API (`anthropic-version: 2023-06-01`). */
      anthropic: {
        baseUrl: "https://api.anthropic.com",
        /** An example: any model id the account may use. */
        model: "claude-haiku-4-5",
        temperature: 0.7,
        maxTokens: 300,
        /** Empty: the built-in script-writer prompt. */
        systemPrompt: "",
        apiKeyEnv: "ANTHROPIC_API_KEY",
      },
      /**
       * Providers that write the script while the one above cannot, in order: each
       * `{name, kind, ...}` is a service of its own (breaker, probe, bulkhead, metrics) and
       * takes every setting above it does not set. Empty: a chain of one.
       */
      fallbacks: [],
    },
    tts: {
      /** mock | elevenlabs | openai (OpenAI's speech endpoint) */
      kind: "mock",
      timeoutMs: 30_000,
      maxInFlight: 16,
      slotWaitMs: 60_000,
      mock: { latencyMs: 0, faults: [] },
      elevenlabs: {
        baseUrl: "https://api.elevenlabs.io",
        /** ElevenLabs' premade "Rachel" voice. */
        voiceId: "21m00Tcm4TlvDq8ikWAM",
        modelId: "eleven_multilingual_v2",
        /** mp3_44100_128, or ulaw_8000 for telephony */
        outputFormat: "mp3_44100_128",
        voiceSettings: {},
        /** Folder for the audio files; empty: not written. */
        audioDir: "audio",
        /** Requests in flight at once: plans cap it (2 to 15). Caps services.tts.maxInFlight. */
        maxConcurrency: 2,
        apiKeyEnv: "ELEVENLABS_API_KEY",
      },
      /** OpenAI's speech endpoint (`POST /audio/speech`, at most 4,096 characters a script). */
      openai: {
        baseUrl: "https://api.openai.com/v1",
        /** gpt-4o-mini-tts | tts-1 | tts-1-hd */
        model: "gpt-4o-mini-tts",
        /** alloy, ash, coral, echo, fable, nova, onyx, sage, shimmer... */
        voice: "alloy",
        /** mp3 | opus | aac | flac | wav | pcm (Twilio plays mp3 and wav) */
        responseFormat: "mp3",
        /** How the voice should speak (gpt-4o-mini-tts only); empty: not sent. */
        instructions: "",
        /** Folder for the audio files; empty: not written. */
        audioDir: "audio",
        apiKeyEnv: "OPENAI_API_KEY",
      },
      /** Providers that speak while the one above cannot, in order (as for `llm`); with
       * `telephony.fallbackToSay`, Twilio's <Say> is the chain's last link. */
      fallbacks: [],
    },
    /**
     * Placing the call. `mock` rings no one. `twilio` places real calls: `accountSid`, the
     * caller number `from`, and the auth token from the variable `authTokenEnv` names.
     * A dial is recorded in the ledger before it is sent, and a dial whose answer was lost is
     * looked for in Twilio's call list before any new dial: no one is called twice.
     */
    telephony: {
      /** mock | twilio */
      kind: "mock",
      timeoutMs: 15_000,
      /** Requests to the provider in flight at once (dials, status reads). */
      maxInFlight: 8,
      slotWaitMs: 60_000,
      /** `callMs`: clock time a mock call lasts from dial to its end. */
      mock: { latencyMs: 0, faults: [], callMs: 0 },
      twilio: {
        baseUrl: "https://api.twilio.com",
        accountSid: "",
        /** The caller number, E.164. */
        from: "",
        authTokenEnv: "TWILIO_AUTH_TOKEN",
        /** Seconds a call rings before it is no-answer. */
        ringTimeoutS: 30,
        /** "" | Enable | DetectMessageEnd: answering-machine detection (sets answeredBy). */
        machineDetection: "",
        /** How far Twilio's clock may be behind ours when a lost dial is looked for. */
        clockSkewMs: 60_000,
        /**
         * How long a dial whose answer was lost (timeout, dropped connection, 5xx, a crash) is
         * looked for in Twilio's call list before it counts as never placed and is dialled
         * again: Twilio may apply a create after its answer was lost, and whether its list
         * shows a new call at once is not documented. Looked for at once and 4 more times over
         * this span; a status callback naming the dial adopts it at once. Costs this delay
         * once per lost dial that placed nothing; a second call would cost a complaint.
         */
        lostDialSettleMs: 30_000,
      },
      /**
       * The status server's public URL (through your proxy or tunnel). Set: calls play the
       * synthesized audio from signed, expiring links and report their status by callback.
       * Empty: calls speak the script with Twilio's <Say> voice and are followed by polling.
       */
      publicBaseUrl: "",
      /** How long an audio link works. */
      audioUrlTtlMs: 3_600_000,
      /**
       * Calls created per second at most, as Twilio counts them at arrival (an account's
       * default is 1; Twilio queues the rest, Vonage refuses them), shared by every agent of the
       * campaign on PostgreSQL. A call whose turn comes after its calling hours close is not
       * created; one Twilio still queues when they close is canceled before it rings.
       */
      callsPerSecond: 1,
      /** When the TTS breaker is OPEN, call with <Say> instead of deferring the contact. */
      fallbackToSay: false,
      /** Status polling: first delay, doubling up to maxMs; with callbacks, a slow safety poll. */
      poll: { initialMs: 2_000, maxMs: 15_000, withCallbacksMs: 30_000 },
    },
    crm: {
      /** mock | webhook | hubspot */
      kind: "mock",
      timeoutMs: 10_000,
      maxInFlight: 16,
      slotWaitMs: 60_000,
      mock: { latencyMs: 0, faults: [] },
      webhook: {
        url: "",
        /** Probed for health; empty: `url`. */
        healthUrl: "",
        /** Optional bearer token's variable; empty: none sent. */
        tokenEnv: "",
      },
      hubspot: {
        baseUrl: "https://api.hubapi.com",
        tokenEnv: "HUBSPOT_TOKEN",
      },
    },
  },
  processor: {
    /** Contacts processed at once. */
    concurrency: 4,
    /**
     * Attempts at one step that reached its provider, over all runs, before the contact fails
     * (attempts-exhausted). Deferrals that called nothing cost nothing.
     */
    maxAttemptsPerStep: 12,
    /** Longest wait, once only deferred contacts are left, for one to be takeable again. */
    recoveryWaitMs: 600_000,
    /** On SIGINT/SIGTERM, how long calls in flight may finish before they are aborted. */
    shutdownGraceMs: 10_000,
    /** At the end of a run, how long Sheets rows and alert messages may still take to go
     * out; what is left waits in the ledger for the next run. */
    exitFlushMs: 5_000,
  },
  /**
   * What a script must be before its voice is paid for and it is called. One that breaks a
   * rule is asked again once from the same provider (its cost counted), then from the next
   * provider of the chain; when none writes one that passes, the contact fails as
   * `script-rejected`, naming the rule.
   */
  script: {
    /** Longest script voiced, in characters: about 30 s spoken at 15 characters a second. */
    maxCharacters: 450,
    /** Each rule on (true) or off (false). */
    reject: {
      /** The model did not finish: cut at its token limit (`length`, `max_tokens`), or
       * stopped for another reason than having finished. */
      unfinished: true,
      /** The answer holds no text. */
      empty: true,
      /** The model declined ("I can't help with that", OpenAI's `refusal`, a content
       * filter). */
      refusal: true,
      /** An unfilled template slot: [Your Name], {company}, <date>, ____. */
      placeholder: true,
      /** Longer than maxCharacters. */
      tooLong: true,
    },
  },
  /** The status endpoint served while `run` works (dashboard, /status, /metrics, admin). */
  server: {
    enabled: true,
    /** Loopback only by default; put a proxy in front to expose it. */
    host: "127.0.0.1",
    /** 0: any free port (printed at start). `run --port` overrides. */
    port: 8080,
    /** The admin routes' bearer token comes from this variable; unset: admin routes off. */
    adminTokenEnv: "AGENT_ADMIN_TOKEN",
    /** How often `run` reports progress (a live line on a terminal, a log record otherwise). */
    progressIntervalMs: 5_000,
  },
  /** Contacts files. */
  contacts: {
    /**
     * Phones are checked against the numbering plans (libphonenumber's): a number no plan has
     * (an area code 000, a country code 999) is an invalid row. A number in national format
     * (`(415) 555-0100`) is read in this country (ISO 3166: US, GB...); empty: E.164 only.
     * Do-not-call files are read the same way.
     */
    defaultCountry: "",
    /**
     * Longest row, in bytes: a longer one (a giant field, or a stray quote that would run to
     * the end of the file) is one invalid row, and loading goes on at the next line.
     */
    maxRecordBytes: 65_536,
  },
  ledger: {
    /**
     * sqlite: one file, one `run` at a time (a second one on the same file stops at once,
     * naming the holder). postgres: several `run` processes, on one or more machines, share
     * one campaign.
     */
    kind: "sqlite",
    /** The SQLite ledger file (`run --db` overrides it). */
    path: "data/ledger.db",
    /** The variable holding the PostgreSQL URL (`postgres://user:password@host:5432/db`). */
    urlEnv: "AGENT_DATABASE_URL",
    /**
     * How long a claim holds a contact: renewed every third of it while the contact is worked;
     * a process that dies leaves its contacts to others once it runs out.
     */
    leaseMs: 30_000,
  },
  /**
   * Alerts: routed by severity to channels; `"*"` means every configured channel (and any
   * added in code). The `log` channel always exists. Other channels are named here, each with
   * its `kind`: telegram | resend | sendgrid | webhook | log. Secrets come from the variables
   * they name (`tokenEnv`, `apiKeyEnv`, `secretEnv`). Example:
   * `channels: { ops: { kind: "telegram", chatId: "-100123", tokenEnv: "TELEGRAM_BOT_TOKEN" } }`
   */
  alerts: {
    /** Alerts within this window go out as one message per channel. */
    groupWaitMs: 10_000,
    /** A firing alert is not sent again before this (4 h). */
    repeatIntervalMs: 14_400_000,
    /** How often undelivered messages are retried from the outbox. */
    replayIntervalMs: 30_000,
    /** Messages per minute per channel (Telegram: about 20 per chat). */
    perMinute: 20,
    /** Retries of one delivery (merged over `retry`): short, the outbox keeps the rest. */
    retry: { maxRetries: 2 },
    /** A channel that delivers nothing for this long from its first failed attempt is
     * alerted on the other channels (and shown stalled in /status). */
    stalledAfterMs: 20_000,
    /** Deadline of one message to a channel, unless the channel sets its own `timeoutMs`. */
    timeoutMs: 10_000,
    routes: { critical: ["*"], error: ["*"], warning: ["log"], info: ["log"] },
    channels: {},
  },
  /**
   * The Google Sheets log: one row per contact outcome, batched. The service-account key comes
   * from `keyFile` (a path) or, if that is empty, the variable named by `keyEnv` (its JSON).
   * Share the sheet with the key's client_email.
   */
  sheets: {
    enabled: false,
    spreadsheetId: "",
    range: "Log!A:K",
    keyFile: "",
    keyEnv: "GOOGLE_SERVICE_ACCOUNT_JSON",
    batchRows: 50,
    flushIntervalMs: 5_000,
    maxWritesPerMinute: 50,
    timeoutMs: 30_000,
    baseUrl: "https://sheets.googleapis.com",
    tokenUrl: "https://oauth2.googleapis.com/token",
    /** 429 backs off up to about a minute (merged over `retry`). */
    retry: { maxRetries: 4, initialDelayMs: 5_000, maxDelayMs: 60_000 },
    /**
     * The log's own breaker (merged over `breaker`), in step with its retries: transient
     * failures open it only after a whole retry schedule failed (5 attempts), a service-wide
     * error (403) at once; it tries again a minute later, as the last retry would have. No
     * health probe: the first append after that is the trial.
     */
    breaker: { failureThreshold: 5, recoveryTimeoutMs: 60_000 },
    /** No append going through for this long from the first failed one raises an alert
     * (resolved when rows flow again). The first failed append is logged at once. */
    stalledAfterMs: 20_000,
  },
  campaign: {
    name: "default",
    purpose: "a short follow-up on your recent enquiry",
    callerName: "Alex from Acme",
    /** ISO 8601 time after which no contact is started and the rest fail; empty: none. */
    deadline: "",
    /**
     * Calling hours in the contact's time zone (its `timezone` column, else `timezone`):
     * outside them a contact waits for the window to open. Empty start and end: any time.
     * US consumer calls (TCPA) are allowed 08:00 to 21:00 local time.
     */
    callWindow: { start: "", end: "", timezone: "UTC" },
    /** Busy and no-answer calls are dialled again, `delayMs` apart, up to `maxDials` in all;
     * the last one's status is what the CRM records. */
    redial: {
      maxDials: 3,
      delayMs: 3_600_000,
      /** With answeringMachine hang-up: a call hung up on a machine is dialled again too. */
      onMachine: false,
    },
    /**
     * When a machine answers: play (the message starts at pickup), after-beep (Twilio waits for
     * the greeting to end: the whole message is left; works without a public URL), voicemail (a
     * machine hears the shorter voicemail written with the script, in Twilio's voice), hang-up
     * (hang up on machines). voicemail and hang-up need services.telephony.publicBaseUrl.
     */
    answeringMachine: "play",
    /**
     * Opt-out by keypress (needs services.telephony.publicBaseUrl): the message ends with
     * `prompt`; pressing `digit` puts the number on the campaign's do-not-call list for every
     * agent at once. Empty digit: off.
     */
    optOut: {
      digit: "",
      prompt: "To stop these calls, press 9.",
      confirmation: "You will not be called again. Goodbye.",
    },
    /**
     * Contacts that share a phone number (a duplicate row, a family landline, a switchboard):
     * call-each: each is called, one after the other (never two calls to a number at once,
     * across campaigns and agents); call-once: only the first contact to be dialled is, the
     * later ones end skipped as duplicate-phone, naming it.
     */
    samePhone: "call-each",
    /**
     * A do-not-call file: one number per line, read as contacts' phones are (E.164, or national
     * in contacts.defaultCountry; # starts a comment; a first line with no digit is a header);
     * checked before the contacts are loaded. Kept in the ledger,
     * not in memory; read again before the next dial whenever the file changed. A contact on
     * it is never dialled: it ends skipped as do-not-call. Empty: no list.
     */
    doNotCall: "",
    /**
     * A do-not-call line that cannot be read (not a number, not text): `stop` refuses to start
     * (exit 2, naming the lines), and mid-run keeps the list read before as well; `leave-out`
     * goes on without those lines.
     */
    doNotCallBadLines: "stop",
  },
  /**
   * Spend caps, in `pricing.currency`; 0: no cap. At the campaign or daily cap no new contact or
   * paid step starts (a call already ringing is never hung up): contacts wait, deferred as
   * `budget`. A contact whose own spend reached `perContact` ends failed as `over-budget`.
   * Warnings at each `warnAt` share of a cap, a critical alert at the cap.
   */
  budget: {
    campaign: 0,
    /** Resets at midnight in the campaign's time zone (`campaign.callWindow.timezone`). */
    daily: 0,
    perContact: 0,
    warnAt: [0.5, 0.8],
  },
  /**
   * What each paid request costs, to count a campaign's spend. Examples as the providers
   * listed them on `asOf`: check your own prices and plans. A script is priced by the tokens
   * its provider reported (the longest model name here that starts the model's), a voice by
   * the characters it billed (ElevenLabs' `character-cost`, else the text's length), a call by
   * the price its provider reported, else per started minute. Mocks cost nothing.
   */
  pricing: {
    asOf: "2026-12-01",
    currency: "USD",
    /** Per model: price per million input and output tokens. */
    llm: {
      "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5 },
    },
    /** Per kind of voice: price per thousand characters. */
    tts: {
      elevenlabs: { perThousandCharacters: 0.3 },
      openai: { perThousandCharacters: 0.015 },
    },
    /** Per kind of telephony: price per started minute, until the call's own price is known. */
    telephony: { twilio: { perMinute: 0.014 } },
  },
  logging: {
    /** JSON Lines log file; empty string: no file. */
    filePath: "logs/agent.jsonl",
    /** Lowest level written: trace | debug | info | warning | error | fatal */
    level: "info",
    /** The file rotates past this size (10 MiB), keeping `maxFiles` old ones. */
    maxBytes: 10_485_760,
    maxFiles: 5,
  },
} as const;

/**
 * What each kind of alert channel (`alerts.channels.<name>.kind`) assumes for a setting it
 * leaves out. `timeoutMs` comes from `alerts.timeoutMs`.
 */
export const channelDefaults = {
  log: {},
  telegram: { baseUrl: "https://api.telegram.org", tokenEnv: "TELEGRAM_BOT_TOKEN" },
  resend: { baseUrl: "https://api.resend.com", apiKeyEnv: "RESEND_API_KEY" },
  sendgrid: { baseUrl: "https://api.sendgrid.com", apiKeyEnv: "SENDGRID_API_KEY" },
  webhook: { secretEnv: "ALERT_WEBHOOK_SECRET" },
} as const;
