/**
 * `serveOpenAI()`: what the simulator's and the engine's servers have in common, from the chat-completions
 * route to the bound socket: the body limits and schema, the routes of {@link openAIRequestListener}, the
 * `/v1/models` entry, the keep-alive timeout, `listen` and `close`. Each server keeps its own options, its
 * completion handler and what it frees on close.
 */
import { createServer } from "node:http";
import { z } from "zod";
import type { BodyLimits } from "./body.js";
import {
  type ChatCompletionRouteOptions,
  chatCompletionRoute,
  listen,
  type OpenAIRoutes,
  openAIRequestListener,
} from "./http.js";
import { chatCompletionBodySchema } from "./schema.js";

/** The listening options of the simulator's and the engine's servers (spread into their option schemas). */
export const ListenShape = {
  /** TCP port; 0 picks a free one. @default 0 */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Interface to listen on. @default "127.0.0.1" */
  host: z.string().min(1).default("127.0.0.1"),
};

/** Where and with which body limits a server listens: what {@link serveOpenAI} takes of the server's options. */
export interface ListenOptions extends BodyLimits {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on. */
  host: string;
}

/** Where an OpenAI-compatible server of the project listens. */
export interface OpenAIServerAddress {
  /** `http://host:port` */
  url: string;
  /** `http://host:port/v1`: what OpenAI clients take as base URL. */
  baseURL: string;
  /** `http://host:port/metrics` */
  metricsUrl: string;
  port: number;
}

/** What {@link serveOpenAI} is made of. */
export interface ServeOpenAIOptions
  extends Pick<ChatCompletionRouteOptions, "handle" | "contextLengthError">,
    Omit<OpenAIRoutes, "onCompletion" | "model"> {
  /** The longest prompt + `max_tokens` a request may ask for (the body schema's bound). */
  maxModelLen: number;
  /**
   * The served model's `/v1/models` entry, less `object` and `created` (filled in: `"model"` and the start
   * time in seconds). Its fields are answered in the order `id, object, created, owned_by, ...the rest`.
   */
  model: { id: string; owned_by: string } & Record<string, unknown>;
}

/** A listening server: its address, and `close()` (stops listening, drops open connections). */
export interface ServedOpenAI {
  address: OpenAIServerAddress;
  /** Resolves when the socket is closed; open responses are cut, so their requests abort. */
  close(): Promise<void>;
}

/**
 * Starts an OpenAI-compatible server on node:http with the routes of {@link openAIRequestListener}, listening
 * and limiting bodies as `at` says (a server passes its parsed options).
 */
export async function serveOpenAI(at: ListenOptions, options: ServeOpenAIOptions): Promise<ServedOpenAI> {
  const { id, owned_by, ...modelRest } = options.model;
  const created = Math.floor(Date.now() / 1000);
  const onCompletion = chatCompletionRoute({
    limits: {
      maxBodyBytes: at.maxBodyBytes,
      maxJsonDepth: at.maxJsonDepth,
      schema: chatCompletionBodySchema(options.maxModelLen),
    },
    handle: options.handle,
    contextLengthError: options.contextLengthError,
  });
  const server = createServer(
    openAIRequestListener({
      onCompletion,
      registry: options.registry,
      healthBody: options.healthBody,
      onInternalError: options.onInternalError,
      model: { id, object: "model", created, owned_by, ...modelRest },
    }),
  );
  server.keepAliveTimeout = 30_000;

  const { port, url } = await listen(server, at.port, at.host);
  return {
    address: { url, baseURL: `${url}/v1`, metricsUrl: `${url}/metrics`, port },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}
