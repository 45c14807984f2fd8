export {
  type ChallengeStore,
  type ChallengeTake,
  DEFAULT_CHALLENGE_TTL_MS,
  DEFAULT_EXPIRED_GRACE_MS,
  DEFAULT_MAX_PENDING,
  isValidSessionId,
  MAX_CHALLENGE_TTL_MS,
  SESSION_ID_PATTERN,
} from './challenge-store.js';
export { createMemoryChallengeStore, type MemoryChallengeStoreOptions } from './memory-store.js';
export { createRedisChallengeStore, type RedisChallengeStoreOptions } from './redis-store.js';
