/**
 * Polls a server's Prometheus `/metrics` endpoint and hands the signals to a callback (the scheduler's
 * `observe`). It never throws and never crashes the process: an unreadable endpoint is logged once per
 * outage through the injected logger, and polling goes on.
 */
import type { ServerSignals } from "../scheduler/types.js";
import { probeSignals, type ServerKind } from "./probes.js";
import { parsePrometheusText } from "./prometheus.js";
import { redactCredentials, splitCredentials } from "./redact.js";
import { ServerLatencyReader } from "./server-latency.js";

/** Where warnings go. `console` fits. */
export interface Logger {
  warn(message: string): void;
}

/** Options of {@link MetricsPoller}. */
export interface MetricsPollerOptions {
  /**
   * Full URL of the metrics endpoint, e.g. `http://127.0.0.1:8000/metrics`. Credentials in it
   * (`http://user:pass@host/metrics`) are sent as `Authorization: Basic` and never logged.
   */
  url: string;
  /** Receives the signals of each successful scrape. Exceptions it throws are logged, not rethrown. */
  onSignals: (signals: ServerSignals, server: ServerKind) => void;
  /** Time between the end of one scrape and the start of the next, ms. Bounds: >= 50. @default 1000 */
  intervalMs?: number;
  /** Time-out of one scrape, ms. @default 2000 */
  timeoutMs?: number;
  /** Force a server kind instead of detecting it from the metric names. */
  server?: ServerKind;
  /** Stops the poller when aborted. */
  signal?: AbortSignal;
  /** @default console */
  logger?: Logger;
  /** Injected for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The outcome of one scrape. */
export type PollOutcome =
  | { ok: true; server: ServerKind; signals: ServerSignals }
  | { ok: false; reason: string };

/**
 * Polls `/metrics` on an interval (timers are `unref`ed: a poller never keeps the process alive).
 *
 * @example
 * ```ts
 * const poller = new MetricsPoller({ url: "http://127.0.0.1:8000/metrics", onSignals: (s) => scheduler.observe(s) });
 * poller.start();
 * // ...
 * poller.stop();
 * ```
 */
export class MetricsPoller {
  readonly #url: string;
  /** `#url` with its credentials masked: the only form that is ever logged. */
  readonly #shownUrl: string;
  /** Headers of every scrape (`Authorization` from the URL's credentials). */
  readonly #headers: Record<string, string>;
  readonly #onSignals: MetricsPollerOptions["onSignals"];
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #server: ServerKind | undefined;
  readonly #logger: Logger;
  readonly #fetch: typeof fetch;
  readonly #stop = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** The server's latency histograms between two scrapes (ServerSignals.ttftMs, tokenLatencyMs, queueMs). */
  readonly #latency = new ServerLatencyReader();
  /** True while the endpoint is unreadable and the outage was already reported. */
  #warned = false;

  constructor(options: MetricsPollerOptions) {
    if (!Number.isFinite(options.intervalMs ?? 1000) || (options.intervalMs ?? 1000) < 50) {
      throw new RangeError(
        `Expected \`intervalMs\` to be a finite number >= 50, got \`${options.intervalMs}\``,
      );
    }
    const { url, authorization } = splitCredentials(options.url);
    this.#url = url;
    this.#shownUrl = redactCredentials(options.url);
    this.#headers =
      authorization === undefined ? { accept: "text/plain" } : { accept: "text/plain", authorization };
    this.#onSignals = options.onSignals;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#server = options.server;
    this.#logger = options.logger ?? console;
    this.#fetch = options.fetch ?? globalThis.fetch;
    if (options.signal !== undefined) {
      if (options.signal.aborted) this.#stop.abort();
      else options.signal.addEventListener("abort", () => this.stop(), { once: true });
    }
  }

  /** Starts polling (the first scrape runs at once). Idempotent. */
  start(): this {
    if (this.#running || this.#stop.signal.aborted) return this;
    this.#running = true;
    void this.#loop();
    return this;
  }

  /** Stops polling; an in-flight scrape is aborted. Idempotent. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort();
  }

  /** Scrapes once and delivers the signals. Never rejects. */
  async pollOnce(): Promise<PollOutcome> {
    const outcome = await this.#scrape();
    if (outcome.ok) {
      this.#warned = false;
      try {
        this.#onSignals(outcome.signals, outcome.server);
      } catch (error) {
        this.#logger.warn(redactCredentials(`augserve: metrics consumer threw: ${String(error)}`));
      }
    } else if (!this.#warned && !this.#stop.signal.aborted) {
      this.#warned = true;
      this.#logger.warn(
        `augserve: cannot read server metrics from ${this.#shownUrl} (${redactCredentials(outcome.reason)}); ` +
          "scheduling goes on from client-side measurements only. This warning is shown once per outage.",
      );
    }
    return outcome;
  }

  async #loop(): Promise<void> {
    if (!this.#running) return;
    await this.pollOnce();
    if (!this.#running) return;
    this.#timer = setTimeout(() => void this.#loop(), this.#intervalMs);
    this.#timer.unref?.();
  }

  async #scrape(): Promise<PollOutcome> {
    try {
      const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#timeoutMs)]);
      const response = await this.#fetch(this.#url, { signal, headers: this.#headers });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        return { ok: false, reason: `HTTP ${response.status}` };
      }
      const samples = parsePrometheusText(await response.text());
      const { server, signals } = probeSignals(samples, this.#server);
      if (server === null) return { ok: false, reason: "no vLLM, SGLang or llama.cpp metric names found" };
      return { ok: true, server, signals: { ...signals, ...this.#latency.read(samples, server) } };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}
