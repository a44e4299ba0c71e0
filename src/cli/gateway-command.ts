/**
 * `augserve gateway`: the scheduling gateway in front of OpenAI-compatible replicas (docs/gateway.md).
 *
 *   augserve gateway --upstream URL [--upstream URL ...] [--port 8080] [--host 127.0.0.1] [--policy augserve]
 *                    [--placement augserve|least-loaded|round-robin|none] [--api-key KEY ...]
 *                    [--scheduler-options JSON] [--run-idle-timeout-ms N] [--redis URL [--redis-key KEY]]
 *
 * Keys can also come from the environment (`AUGSERVE_API_KEYS`, comma-separated, and
 * `AUGSERVE_UPSTREAM_API_KEY`), which keeps them out of the process list. Keys are never printed.
 */
import type { Command } from "commander";
import { GatewayOptionsError } from "../gateway/errors.js";
import type { GatewayOptions } from "../gateway/options.js";
import { startGateway } from "../gateway/server.js";
import { LIVE_POLICY_NAMES } from "../scheduler/index.js";
import { hostOption, portOption, serveInForeground } from "./serve.js";

interface GatewayCliOptions {
  upstream?: string[];
  port: string;
  host: string;
  policy: string;
  placement: string;
  apiKey?: string[];
  schedulerOptions?: string;
  runIdleTimeoutMs?: string;
  redis?: string;
  redisKey?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** A flag that must be a number: the text itself when not (the options schema then names the flag). */
function numberFlag(text: string): number | string {
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}

/** The gateway options of the flags and the environment. @throws GatewayOptionsError for bad JSON. */
export function gatewayOptionsFromFlags(flags: GatewayCliOptions, env: NodeJS.ProcessEnv): GatewayOptions {
  const envKeys = (env.AUGSERVE_API_KEYS ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  let scheduler: GatewayOptions["scheduler"];
  if (flags.schedulerOptions !== undefined) {
    try {
      scheduler = JSON.parse(flags.schedulerOptions) as GatewayOptions["scheduler"];
    } catch {
      throw new GatewayOptionsError("scheduler", "expected --scheduler-options to be a JSON object");
    }
  }
  return {
    upstreams: flags.upstream ?? [],
    port: numberFlag(flags.port) as number,
    host: flags.host,
    policy: flags.policy as GatewayOptions["policy"],
    placement: flags.placement as GatewayOptions["placement"],
    apiKeys: [...(flags.apiKey ?? []), ...envKeys],
    ...(env.AUGSERVE_UPSTREAM_API_KEY ? { upstreamApiKey: env.AUGSERVE_UPSTREAM_API_KEY } : {}),
    ...(scheduler === undefined ? {} : { scheduler }),
    ...(flags.runIdleTimeoutMs === undefined
      ? {}
      : { runIdleTimeoutMs: numberFlag(flags.runIdleTimeoutMs) as number }),
    // Each replica's budget shared with the other gateways and apps through Redis (docs/shared.md).
    ...(flags.redis === undefined
      ? {}
      : { shared: { redis: flags.redis, ...(flags.redisKey === undefined ? {} : { key: flags.redisKey }) } }),
  };
}

export function registerGatewayCommand(program: Command): void {
  program
    .command("gateway")
    .description("OpenAI-compatible scheduling gateway in front of one or more replicas (docs/gateway.md)")
    .option(
      "--upstream <url>",
      "a replica's base URL, e.g. http://127.0.0.1:8000/v1 (repeat for more)",
      collect,
    )
    .addOption(portOption("8080"))
    .addOption(hostOption())
    .option("--policy <name>", `scheduling policy: ${LIVE_POLICY_NAMES.join(", ")}`, "augserve")
    .option("--placement <name>", "augserve, least-loaded, round-robin, or none (llm-d decides)", "augserve")
    .option("--api-key <key>", "a bearer key clients must send (repeat; or AUGSERVE_API_KEYS)", collect)
    .option("--scheduler-options <json>", "each replica's scheduler options, e.g. '{\"maxWaitMs\":60000}'")
    .option("--run-idle-timeout-ms <ms>", "end a run with no call for this long as abandoned", undefined)
    .option("--redis <url>", "share each replica's budget with other gateways and apps through this Redis")
    .option("--redis-key <key>", "the fleet's key prefix in Redis (default: augserve)")
    .action((flags: GatewayCliOptions) =>
      serveInForeground("gateway", async () => {
        const gateway = await startGateway(gatewayOptionsFromFlags(flags, process.env));
        const o = gateway.options;
        return {
          server: gateway,
          banner:
            `augserve gateway: ${o.upstreams.length} upstream(s), placement ${o.placement}, policy ${o.policy}, ` +
            `${o.apiKeys.length > 0 ? `${o.apiKeys.length} client key(s)` : "no client keys"}\n` +
            `OpenAI base URL: ${gateway.baseURL}\nmetrics: ${gateway.metricsUrl}\n`,
        };
      }),
    );
}
