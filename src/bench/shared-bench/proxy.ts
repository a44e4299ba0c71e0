/**
 * The server's side of `bench:shared`'s budget check: a pass-through HTTP proxy in front of the simulator that
 * counts the budget tokens of the requests it is serving (each client request carries its scheduler's charge
 * in `x-augserve-charge`), from the moment a request reaches the server until its response ends.
 */
import { createServer, request, type Server } from "node:http";

export class ChargeProxy {
  readonly #server: Server;
  inFlightTokens = 0;
  inFlightRequests = 0;
  /** Wall times (Date.now()) at which requests ended with a 2xx response: the server's completions. */
  readonly completions: number[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Proxies to `target` (`http://host:port`), listening on a free loopback port. */
  static async start(target: string): Promise<ChargeProxy> {
    const upstream = new URL(target);
    let self: ChargeProxy | undefined;
    const server = createServer((req, res) => {
      const charge = Number(req.headers["x-augserve-charge"] ?? 0) || 0;
      const proxy = self as ChargeProxy;
      proxy.inFlightTokens += charge;
      proxy.inFlightRequests += 1;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        proxy.inFlightTokens -= charge;
        proxy.inFlightRequests -= 1;
        if (res.statusCode >= 200 && res.statusCode < 300) proxy.completions.push(Date.now());
      };
      res.once("close", finish);
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.once("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(out);
    });
    self = new ChargeProxy(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return self;
  }

  get url(): string {
    const a = this.#server.address();
    return `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
