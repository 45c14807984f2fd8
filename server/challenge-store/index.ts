export {
  type ChallengeStore,
  type ChallengeTake,
  DEFAULT_CHALLENGE_TTL_MS,
  DEFAULT_EXPIRED_GRACE_MS,
  MAX_CHALLENGE_TTL_MS,
  SESSION_ID_PATTERN,
  isValidSessionId,
} from './challenge-store.js';
export { type MemoryChallengeStoreOptions, createMemoryChallengeStore } from './memory-store.js';
export { type RedisChallengeStoreOptions, createRedisChallengeStore } from './redis-store.js';
