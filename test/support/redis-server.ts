/**
 * The fleet tests' redis-server: found (AUGSERVE_REDIS_SERVER, PATH, /usr/bin) or installed (Debian's package via
 * apt-get when root), started on a loopback port with a temporary directory. The implementation is shared with
 * `npm run bench:shared` and lives in src/bench/shared-bench/redis-server.ts.
 */
export { freePort, RedisServer, redisServerBinary } from "../../src/bench/shared-bench/redis-server.js";
