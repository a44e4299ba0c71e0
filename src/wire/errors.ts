/**
 * Errors of the OpenAI wire layer and the JSON error body every server of the project answers with.
 */
import { AugServeError } from "../util/index.js";

/**
 * OpenAI's error `type` values that the project's servers use (`rate_limit_error` and `server_error` are
 * the gateway's 429 and 503).
 */
export type WireErrorType =
  | "invalid_request_error"
  | "not_found_error"
  | "internal_error"
  | "rate_limit_error"
  | "server_error";

/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export interface WireErrorBody {
  error: { message: string; type: WireErrorType; param: string | null; code: string | null };
}

/** Builds the OpenAI error body. */
export function errorBody(
  message: string,
  param: string | null,
  code: string | null,
  type: WireErrorType = "invalid_request_error",
): WireErrorBody {
  return { error: { message, type, param, code } };
}

/**
 * A request the server refuses, with the HTTP status and the OpenAI error fields it is answered with. Routes
 * throw it (or a domain error the route maps to it); the request listener turns it into the JSON response.
 */
export class WireRequestError extends AugServeError {
  static override readonly code = "WIRE_REQUEST";
  override readonly name = "WireRequestError";
  /** HTTP status: 4xx, or 503 when a proxy has nowhere to send the request. */
  readonly status: number;
  /** The request field at fault (`messages`, `tools.0.function.parameters`), or null. */
  readonly param: string | null;
  /**
   * The OpenAI error code of the answer: `body_too_large`, `json_too_deep`, `invalid_json`, `invalid_value`,
   * ... (the one error whose instance code is not its class's {@link WireRequestError.code}: clients read it
   * in the response body).
   */
  override readonly code: string;
  readonly type: WireErrorType;
  /** Extra response headers (e.g. `retry-after` of a 429). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    fields: {
      param?: string | null;
      code: string;
      type?: WireErrorType;
      headers?: Readonly<Record<string, string>>;
      /** What led to the refusal (the `ZodError` of an invalid body). */
      cause?: unknown;
    },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.status = status;
    this.param = fields.param ?? null;
    this.code = fields.code;
    this.type = fields.type ?? "invalid_request_error";
    this.headers = fields.headers ?? {};
  }

  /** The JSON body of the response. */
  toBody(): WireErrorBody {
    return errorBody(this.message, this.param, this.code, this.type);
  }
}
