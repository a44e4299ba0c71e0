import { describe, expect, it } from "vitest";
import { gatewayOptionsFromFlags } from "../../src/cli/gateway-command.js";
import { buildProgram } from "../../src/cli/program.js";
import { parseGatewayOptions } from "../../src/gateway/options.js";

const base = { port: "8080", host: "127.0.0.1", policy: "augserve", placement: "augserve" };

describe("augserve gateway - flags", () => {
  it("is registered, with repeatable --upstream and --api-key", () => {
    const command = buildProgram().commands.find((c) => c.name() === "gateway");
    expect(command?.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(["--upstream", "--port", "--host", "--policy", "--placement", "--api-key"]),
    );
  });

  it("maps flags and the environment's keys to options; keys from both sources", () => {
    const options = gatewayOptionsFromFlags(
      {
        ...base,
        upstream: ["http://a:1/v1", "http://b:2/v1"],
        apiKey: ["flag-key-123"],
        runIdleTimeoutMs: "5000",
      },
      { AUGSERVE_API_KEYS: "env-key-1234, env-key-5678", AUGSERVE_UPSTREAM_API_KEY: "upstream-secret" },
    );
    const parsed = parseGatewayOptions(options);
    expect(parsed.upstreams).toEqual(["http://a:1/v1", "http://b:2/v1"]);
    expect(parsed.apiKeys).toEqual(["flag-key-123", "env-key-1234", "env-key-5678"]);
    expect(parsed.upstreamApiKey).toBe("upstream-secret");
    expect(parsed.runIdleTimeoutMs).toBe(5000);
  });

  it("bad flags name the option", () => {
    expect(() => parseGatewayOptions(gatewayOptionsFromFlags({ ...base, port: "eighty" }, {}))).toThrow(
      /upstreams/,
    );
    expect(() =>
      parseGatewayOptions(gatewayOptionsFromFlags({ ...base, upstream: ["http://a:1"], port: "eighty" }, {})),
    ).toThrow(/`port`/);
    expect(() => gatewayOptionsFromFlags({ ...base, schedulerOptions: "{nope" }, {})).toThrow(
      /scheduler-options/,
    );
  });
});
