export {
  ClientShareError,
  defaultSharePerClient,
  isStoreUnreachable,
  retryAfterSecondsOf,
  STORE_UNAVAILABLE_RETRY_SECONDS,
  StoreFullError,
  StoreUnavailableError,
} from './capacity.js';
export { createExpiringMap, type ExpiringMap, type WhenFull } from './expiring-map.js';
export { randomBase64Url256, randomId } from './random-id.js';
export { readOnce } from './read-once.js';
export { createRedisClient, type RedisClientOptions, redisScript } from './redis-client.js';
export { withTimeLimit } from './time-limit.js';
