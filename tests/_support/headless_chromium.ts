import { readUntil } from "./read_until.ts";
import { endChild } from "./spawn_main.ts";

/**
 * Headless Chromium driven over the DevTools protocol (a WebSocket), enough to load a page
 * and evaluate expressions in it. Playwright would want --allow-all under Deno; this needs
 * only --allow-run and loopback network.
 */
export class HeadlessChromium implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #socket: WebSocket;
  #nextId = 1;
  #pending = new Map<
    number,
    (message: { result?: unknown; error?: { message: string } }) => void
  >();
  #profile: string;
  #drained: Promise<unknown>;

  private constructor(
    child: Deno.ChildProcess,
    socket: WebSocket,
    profile: string,
    drained: Promise<unknown>,
  ) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    this.#drained = drained;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    };
  }

  static async launch(executable: string): Promise<HeadlessChromium> {
    const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
    const child = new Deno.Command(executable, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const { match, text: drained } = await readUntil(
      child.stderr,
      /DevTools listening on (ws:\/\/\S+)/,
    );
    const browserUrl = match[1];
    const port = new URL(browserUrl).port;
    const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`))
      .json() as {
        type: string;
        webSocketDebuggerUrl: string;
      }[];
    const page = pages.find((p) => p.type === "page")!;
    const socket = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    return new HeadlessChromium(child, socket, profile, drained);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(
        id,
        (message) =>
          message.error ? reject(new Error(message.error.message)) : resolve(message.result),
      );
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async navigate(url: string): Promise<void> {
    await this.send("Page.navigate", { url });
  }

  /** Evaluates `expression` in the page and returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
    }) as {
      result: { value: T };
    };
    return result.result.value;
  }

  /** A PNG of the whole page, `width` pixels wide. */
  async screenshot(width: number): Promise<Uint8Array> {
    // Laid out at the width first: the page's height depends on it.
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height: 600,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const height = await this.evaluate<number>("document.documentElement.scrollHeight");
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const { data } = await this.send("Page.captureScreenshot", { format: "png" }) as {
      data: string;
    };
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }

  /** Polls `expression` until it is truthy, or fails after `timeoutMs`. */
  async waitFor(expression: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(expression))) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${expression}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#socket.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await endChild(this.#child, this.#drained);
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}
