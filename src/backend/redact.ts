/**
 * Credentials in URLs (`http://user:pass@host/...`) are for requests, never for logs: {@link redactCredentials}
 * masks them in any text (a URL, an error message that quotes one), and {@link splitCredentials} takes them
 * out of a URL so they can travel as an `Authorization: Basic` header instead (undici's pools and `fetch`
 * refuse URLs that carry them).
 */

/** `scheme://userinfo@` anywhere in a text; userinfo stops at the first `/`, `@`, whitespace or quote. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi;

/** `text` with the user and password of every URL in it replaced by `***`. */
export function redactCredentials(text: string): string {
  return text.replace(USERINFO, "$1***@");
}

/** A URL without its credentials, and the `Authorization` header value they make (absent when none). */
export interface SplitUrl {
  /** The URL without `user:pass@`. */
  url: string;
  /** `Basic base64(user:pass)` (percent-decoded, as browsers and curl send them), when the URL had credentials. */
  authorization?: string;
}

/** Takes `user:pass@` out of `url`; a text that is no URL comes back as it was. */
export function splitCredentials(url: string): SplitUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (parsed.username === "" && parsed.password === "") return { url };
  const user = decodeOrRaw(parsed.username);
  const password = decodeOrRaw(parsed.password);
  parsed.username = "";
  parsed.password = "";
  return {
    url: parsed.href,
    authorization: `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`,
  };
}

function decodeOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray `%` that is no escape: sent as written
  }
}
