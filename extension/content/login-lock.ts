/** One login at a time per page, shared by the injected button and the page API (ERR_HPKI_BUSY). */
export interface LoginLock {
  tryAcquire(): boolean;
  release(): void;
  readonly held: boolean;
}

export function createLoginLock(): LoginLock {
  let held = false;
  return {
    tryAcquire() {
      if (held) return false;
      held = true;
      return true;
    },
    release() {
      held = false;
    },
    get held() {
      return held;
    },
  };
}
