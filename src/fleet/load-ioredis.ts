/**
 * ioredis, loaded when the fleet first connects to Redis rather than when the package is imported: ioredis is
 * an optional peer dependency (only `shared` needs it), so a middleware user who never shares a budget does
 * not install it. A synchronous `require` keeps the connection code synchronous (ioredis is CommonJS).
 */
import { createRequire } from "node:module";
import type { Redis } from "ioredis";

let loaded: typeof Redis | undefined;

/** The ioredis client class; throws a clear error when the optional peer dependency is not installed. */
export function loadRedis(): typeof Redis {
  if (loaded !== undefined) return loaded;
  try {
    loaded = (createRequire(import.meta.url)("ioredis") as { Redis: typeof Redis }).Redis;
  } catch (error) {
    throw new Error(
      "augserve: `shared` (a budget shared through Redis) needs the optional peer dependency ioredis; " +
        "install it with `npm install ioredis`.",
      { cause: error },
    );
  }
  return loaded;
}
