/**
 * The "GPU server" of the fleet tests: a real HTTP server on 127.0.0.1 that holds each call for a while and
 * counts, from its own side, the tokens in flight (the sum of the charges of the requests it is serving),
 * their maximum, and how often each call id arrived (a call admitted twice would arrive twice).
 */
import { createServer, type Server } from "node:http";

export class TokenServer {
  readonly #server: Server;
  inFlight = 0;
  maxInFlight = 0;
  readonly arrivals = new Map<string, number>();
  /** While set, samples of inFlight are pushed here at every change. */
  samples: number[] | null = null;
  /** Tokens in flight per tenant (`tenant=` of a call) and their integral over time (token-ms). */
  readonly tenantInFlight = new Map<string, number>();
  readonly tenantTokenMs = new Map<string, number>();
  #lastAt = performance.now();
  /**
   * A latch: calls with `gate=N` are held (not timed) until N tokens are in flight at once, then every held
   * call and every later one runs its `holdMs`. It makes "the fleet reached its budget" a fact of the protocol
   * rather than of the machine's speed: nothing completes, so nothing can hide the peak.
   */
  #gateOpen = false;
  readonly #held: (() => void)[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<TokenServer> {
    let self: TokenServer | undefined;
    const server = createServer((req, res) => self?.handle(req.url ?? "", res));
    self = new TokenServer(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return self;
  }

  get url(): string {
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  handle(url: string, res: import("node:http").ServerResponse): void {
    const q = new URL(url, "http://x").searchParams;
    const charge = Number(q.get("charge") ?? 0);
    const holdMs = Number(q.get("holdMs") ?? 10);
    const id = q.get("id") ?? "";
    const tenant = q.get("tenant") ?? "";
    const gate = Number(q.get("gate") ?? 0);
    this.arrivals.set(id, (this.arrivals.get(id) ?? 0) + 1);
    this.#add(charge, tenant);
    const run = () =>
      setTimeout(() => {
        this.#add(-charge, tenant);
        res.end("ok");
      }, holdMs);
    if (gate <= 0 || this.#gateOpen) run();
    else if (this.inFlight >= gate) {
      this.#gateOpen = true;
      run();
      for (const held of this.#held.splice(0)) held();
    } else this.#held.push(run);
  }

  /** Starts (or restarts) the per-tenant integrals from now. */
  resetTenantShares(): void {
    this.#accrue();
    this.tenantTokenMs.clear();
  }

  #accrue(): void {
    const now = performance.now();
    for (const [t, tokens] of this.tenantInFlight)
      this.tenantTokenMs.set(t, (this.tenantTokenMs.get(t) ?? 0) + tokens * (now - this.#lastAt));
    this.#lastAt = now;
  }

  #add(delta: number, tenant = ""): void {
    this.#accrue();
    this.tenantInFlight.set(tenant, (this.tenantInFlight.get(tenant) ?? 0) + delta);
    this.inFlight += delta;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.samples?.push(this.inFlight);
  }

  /** Ids that arrived more than once. */
  duplicates(): string[] {
    return [...this.arrivals].filter(([, n]) => n > 1).map(([id]) => id);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
