/**
 * Two simulator replicas behind a real gateway on 127.0.0.1, for the gateway's tests.
 */
import { type Gateway, type GatewayOptions, startGateway } from "../../src/gateway/index.js";
import type { ConversationScript } from "../../src/script/types.js";
import { type SimServer, startSimServer } from "../../src/sim/index.js";

export interface Fleet {
  sims: SimServer[];
  gateway: Gateway;
  register(scripts: ConversationScript[]): void;
  close(): Promise<void>;
}

export async function startFleet(
  replicas = 2,
  options: Partial<GatewayOptions> = {},
  timeScale = 100,
): Promise<Fleet> {
  const sims = await Promise.all(Array.from({ length: replicas }, () => startSimServer({ timeScale })));
  const gateway = await startGateway({
    upstreams: sims.map((s) => s.baseURL),
    port: 0,
    metricsPollIntervalMs: 200,
    healthProbeIntervalMs: 100,
    ...options,
  });
  let closed = false;
  return {
    sims,
    gateway,
    register: (scripts) => {
      for (const sim of sims) sim.registerScripts(scripts);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await gateway.close();
      await Promise.all(sims.map((s) => s.close()));
    },
  };
}

export function toolScript(
  user: string,
  rounds: number,
  parallel = 1,
  finalOutputTokens = 20,
): ConversationScript {
  return {
    firstUserMessage: user,
    rounds: Array.from({ length: rounds }, (_, r) => ({
      outputTokens: 10,
      toolCalls: Array.from({ length: parallel }, (_, i) => ({
        name: "get_weather",
        arguments: { city: `c${r}${i}` },
      })),
    })),
    finalOutputTokens,
  };
}

export const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every replica's scheduler holds nothing. */
export function idle(gateway: Gateway): boolean {
  return gateway.replicas().every((r) => r.inFlightCalls === 0 && r.inFlightTokens === 0 && r.queued === 0);
}
