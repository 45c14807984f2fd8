import { lstat, readlink, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { localPath } from './apply.js';

/**
 * What `install-host --system` demands of the files its launcher runs. A system-wide manifest makes
 * every user's browser start that launcher; if one user can change the runtime, the CLI or a
 * directory above them (a checkout in a home, nvm's node), that user's code runs in everyone's
 * browser session and signs with their cards. So each of them, and every directory on the way to
 * them (symbolic links followed), must belong to root and be writable by no group or other user.
 *
 * With `--root DIR` the target's `/` is DIR, and DIR's owner stands for root (a staged tree belongs
 * to whoever staged it).
 */

export type RuntimeProblemReason = 'missing' | 'not-root-owned' | 'group-writable' | 'world-writable' | 'link-loop';

export interface RuntimeProblem {
  /** The path on the target (as the launcher would see it). */
  path: string;
  reason: RuntimeProblemReason;
  /** The owner's uid, for not-root-owned. */
  uid?: number;
  mode?: number;
}

export const UNSAFE_RUNTIME = 'ERR_INSTALL_UNSAFE_RUNTIME';

export class UnsafeRuntimeError extends Error {
  readonly code = UNSAFE_RUNTIME;
  constructor(readonly problems: readonly RuntimeProblem[]) {
    super(
      [
        `${UNSAFE_RUNTIME}: --system では、起動スクリプトが実行するファイル (Node.js と CLI) とその上のディレクトリがすべて root の所有で、グループ・他のユーザーが書き込めないことが必要です。`,
        '--system needs the files the launcher runs (the Node.js runtime and the CLI) and every directory above them to be owned by root and writable by no group or other user:',
        ...problems.map((p) => `  ${p.path}: ${describe(p)}`),
        'root が所有する実行環境 (例: .deb パッケージの /usr/lib/hpki-login) を使うか、--system なしでユーザーごとにインストールしてください。',
        'Use a root-owned runtime (e.g. the .deb package, which ships its own under /usr/lib/hpki-login), or install per user without --system.',
      ].join('\n'),
    );
    this.name = 'UnsafeRuntimeError';
  }
}

function describe(p: RuntimeProblem): string {
  const mode = p.mode === undefined ? '' : ` (mode ${(p.mode & 0o7777).toString(8).padStart(4, '0')})`;
  switch (p.reason) {
    case 'missing':
      return 'does not exist';
    case 'not-root-owned':
      return `owned by uid ${p.uid ?? '?'}, not root`;
    case 'group-writable':
      return `writable by its group${mode}`;
    case 'world-writable':
      return `writable by every user${mode}`;
    case 'link-loop':
      return 'too many symbolic links';
  }
}

const MAX_LINKS = 40;

/**
 * Every path component from `/` to `target`, each checked as it is met: a symbolic link is checked
 * for its owner (its own mode means nothing) and then followed, so the directories on the way to
 * its target are checked too.
 */
async function checkChain(
  target: string,
  root: string | undefined,
  ownerUid: number,
  out: RuntimeProblem[],
): Promise<void> {
  const pending = target.split('/').filter((c) => c !== '');
  let current = '/';
  let links = 0;
  const check = async (path: string): Promise<'dir' | 'link' | 'other' | 'missing'> => {
    let s: Awaited<ReturnType<typeof lstat>>;
    try {
      s = await lstat(localPath(path, 'linux', root));
    } catch {
      out.push({ path, reason: 'missing' });
      return 'missing';
    }
    if (s.uid !== ownerUid) out.push({ path, reason: 'not-root-owned', uid: s.uid });
    if (!s.isSymbolicLink()) {
      if ((s.mode & 0o002) !== 0) out.push({ path, reason: 'world-writable', mode: s.mode });
      else if ((s.mode & 0o020) !== 0) out.push({ path, reason: 'group-writable', mode: s.mode });
    }
    return s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : 'other';
  };
  if ((await check('/')) === 'missing') return;
  while (pending.length > 0) {
    const name = pending.shift() ?? '';
    if (name === '.') continue;
    if (name === '..') {
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, name);
    const kind = await check(next);
    if (kind === 'missing') return;
    if (kind !== 'link') {
      current = next;
      continue;
    }
    if (++links > MAX_LINKS) {
      out.push({ path: next, reason: 'link-loop' });
      return;
    }
    const to = await readlink(localPath(next, 'linux', root));
    pending.unshift(...to.split('/').filter((c) => c !== ''));
    if (to.startsWith('/')) current = '/';
  }
}

/**
 * The problems with the files of `paths` (target paths, absolute) for a system-wide install; empty
 * when every one is safe. The same directory met twice is reported once.
 */
export async function systemRuntimeProblems(paths: readonly string[], root?: string): Promise<RuntimeProblem[]> {
  const ownerUid = root === undefined ? 0 : (await stat(root)).uid;
  const found: RuntimeProblem[] = [];
  for (const path of paths) await checkChain(path, root, ownerUid, found);
  const seen = new Set<string>();
  return found.filter((p) => {
    const key = `${p.path}\0${p.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
