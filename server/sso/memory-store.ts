import type { AdapterPayload } from 'oidc-provider';
import { createMemoryChallengeStore } from '../challenge-store/index.js';
import {
  alreadyConsumed,
  checkPendingBounds,
  currentRequestClient,
  defaultMaxPendingSignIns,
  GRANTABLE_MODELS,
  isAnonymousRecord,
  type SsoAdapter,
  type SsoStore,
  storeFull,
  ttlSeconds,
} from './store.js';

export interface MemorySsoStoreOptions {
  /** Records kept at most (all models together); when full, new ones are refused. Default 100 000. */
  maxRecords?: number;
  /**
   * Of those, records anybody can make without a card (interactions, login-page bindings, sessions
   * without an account): beyond this many, new ones are refused, so the rest of the room stays for
   * sign-ins under way. Default four fifths of maxRecords.
   */
  maxPendingSignIns?: number;
  /** Of those, one client's at most (store.ts defaultMaxPendingPerClient). */
  maxPendingPerClient?: number;
  /** Pending HPKI challenges kept at most; when full, new ones are refused. Default 10 000. */
  maxChallenges?: number;
  now?: () => number;
}

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/** The keys of anonymous records (isAnonymousRecord), counted against maxPendingSignIns, and how many each client holds. */
function createAnonymousLedger() {
  const owners = new Map<string, string | undefined>();
  const perClient = new Map<string, number>();
  return {
    size: (): number => owners.size,
    heldBy: (client: string): number => perClient.get(client) ?? 0,
    release(key: string): void {
      const owner = owners.get(key);
      owners.delete(key);
      if (owner === undefined) return;
      const held = (perClient.get(owner) ?? 1) - 1;
      if (held > 0) perClient.set(owner, held);
      else perClient.delete(owner);
    },
    clear(): void {
      owners.clear();
      perClient.clear();
    },
    charge(key: string): void {
      if (owners.has(key)) return;
      const owner = currentRequestClient();
      owners.set(key, owner);
      if (owner !== undefined) perClient.set(owner, (perClient.get(owner) ?? 0) + 1);
    },
  };
}

/** The bounds of a memory store, checked. */
function memoryBounds(options: MemorySsoStoreOptions): {
  maxRecords: number;
  maxPendingSignIns: number;
  maxPerClient: number;
} {
  const maxRecords = options.maxRecords ?? 100_000;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) throw new RangeError('maxRecords must be a positive integer');
  const maxPendingSignIns = options.maxPendingSignIns ?? defaultMaxPendingSignIns(maxRecords);
  if (!Number.isInteger(maxPendingSignIns) || maxPendingSignIns < 1 || maxPendingSignIns > maxRecords)
    throw new RangeError('maxPendingSignIns must be an integer from 1 to maxRecords');
  return {
    maxRecords,
    maxPendingSignIns,
    maxPerClient: checkPendingBounds(maxPendingSignIns, options.maxPendingPerClient),
  };
}

/** Files a record under its secondary keys (session uid, user code) and its grant. */
function indexRecord(
  model: string,
  key: string,
  payload: AdapterPayload,
  indexes: Map<string, string>,
  grants: Map<string, Set<string>>,
): void {
  if (model === 'Session' && typeof payload.uid === 'string') indexes.set(`uid:${payload.uid}`, key);
  if (typeof payload.userCode === 'string') indexes.set(`userCode:${payload.userCode}`, key);
  if (GRANTABLE_MODELS.has(model) && typeof payload.grantId === 'string') {
    const members = grants.get(payload.grantId) ?? new Set<string>();
    members.add(key);
    grants.set(payload.grantId, members);
  }
}

/** Drops index entries and grant members whose records are gone. */
function pruneIndexes(
  records: ReadonlyMap<string, unknown>,
  indexes: Map<string, string>,
  grants: Map<string, Set<string>>,
): void {
  for (const [key, target] of indexes) if (!records.has(target)) indexes.delete(key);
  for (const [grantId, members] of grants) {
    for (const member of members) if (!records.has(member)) members.delete(member);
    if (members.size === 0) grants.delete(grantId);
  }
}

/**
 * The provider's state in this process's memory: one process only (a second process would not see
 * these sessions or codes). Bounded, and full means "refuse new", never "drop a live record": an
 * anonymous flood may delay new sign-ins but cannot end anybody's session or pending login.
 */
export function createMemorySsoStore(options: MemorySsoStoreOptions = {}): SsoStore {
  const { maxRecords, maxPendingSignIns, maxPerClient } = memoryBounds(options);
  const now = options.now ?? Date.now;
  const records = new Map<string, Entry>();
  const anonymous = createAnonymousLedger();
  const drop = (key: string): void => {
    records.delete(key);
    anonymous.release(key);
  };
  /** Secondary keys (session uid, user code) → primary key, and grant id → member keys. */
  const indexes = new Map<string, string>();
  const grants = new Map<string, Set<string>>();
  let lastSweep = 0;

  const live = (key: string): Entry | undefined => {
    const entry = records.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      drop(key);
      return undefined;
    }
    return entry;
  };

  function sweep(): void {
    const at = now();
    lastSweep = at;
    for (const [key, entry] of records) if (entry.expiresAt <= at) drop(key);
    pruneIndexes(records, indexes, grants);
  }

  function makeRoom(key: string, isAnonymous: boolean): void {
    if (records.has(key)) return;
    const client = currentRequestClient();
    const full = (): boolean =>
      records.size >= maxRecords ||
      (isAnonymous &&
        (anonymous.size() >= maxPendingSignIns || (client !== undefined && anonymous.heldBy(client) >= maxPerClient)));
    if (!full()) return;
    // A full sweep is O(n); at most once a second keeps a flood from making every insert pay it.
    if (now() - lastSweep >= 1_000) sweep();
    if (full()) throw storeFull();
  }

  function adapter(model: string): SsoAdapter {
    const keyOf = (id: string): string => `${model}:${id}`;
    const find = async (id: string): Promise<AdapterPayload | undefined> => {
      const entry = live(keyOf(id));
      return entry === undefined ? undefined : structuredClone(entry.payload);
    };
    const byIndex = async (index: string): Promise<AdapterPayload | undefined> => {
      const target = indexes.get(index);
      const entry = target === undefined ? undefined : live(target);
      return entry === undefined ? undefined : structuredClone(entry.payload);
    };
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        const isAnonymous = isAnonymousRecord(model, payload);
        makeRoom(key, isAnonymous);
        const expiresAt = now() + ttlSeconds(expiresIn) * 1000;
        records.set(key, { payload: structuredClone(payload), expiresAt });
        if (isAnonymous) anonymous.charge(key);
        else anonymous.release(key);
        indexRecord(model, key, payload, indexes, grants);
      },
      find,
      findByUid: (uid) => byIndex(`uid:${uid}`),
      findByUserCode: (userCode) => byIndex(`userCode:${userCode}`),
      async consume(id) {
        const entry = live(keyOf(id));
        if (entry === undefined || entry.payload.consumed !== undefined) throw alreadyConsumed();
        entry.payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        drop(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const member of grants.get(grantId) ?? []) drop(member);
        grants.delete(grantId);
      },
      async take(id) {
        const entry = live(keyOf(id));
        drop(keyOf(id));
        return entry?.payload;
      },
    };
  }

  const challenges = createMemoryChallengeStore({
    maxPending: options.maxChallenges ?? 10_000,
    now,
  });
  return {
    kind: 'memory',
    adapter,
    challenges,
    probe: async () => undefined,
    async close() {
      records.clear();
      anonymous.clear();
      indexes.clear();
      grants.clear();
      await challenges.close();
    },
  };
}
