import { describe, expect, it } from 'vitest';
import { authenticateOverPort, type PortLike } from '../../../../extension/content/login-over-port.js';

// The content script's port of one card flow: closed once the reply is read, except the port of a
// getSigningCertificate whose caller keeps it (it tells the background the page is still there
// while the window waits for the page's sign; background/held-window.ts).

/** A page that can leave: `leave()` fires what `onLeave` registered, as `pagehide` would. */
function leavingPage() {
  const callbacks = new Set<() => void>();
  return {
    callbacks,
    onLeave: (callback: () => void) => {
      callbacks.add(callback);
      return () => void callbacks.delete(callback);
    },
    leave: () => [...callbacks].forEach((c) => c()),
  };
}

function fakeRuntime(reply: unknown, answers = true) {
  const ports: Array<PortLike & { disconnected: boolean; sent: unknown[] }> = [];
  return {
    ports,
    connect() {
      const listeners: Array<(m: unknown) => void> = [];
      const port = {
        disconnected: false,
        sent: [] as unknown[],
        postMessage(message: unknown) {
          port.sent.push(message);
          if (answers) queueMicrotask(() => listeners.forEach((l) => l(reply)));
        },
        disconnect() {
          port.disconnected = true;
        },
        onMessage: { addListener: (l: (m: unknown) => void) => void listeners.push(l) },
        onDisconnect: { addListener: () => undefined },
      };
      ports.push(port);
      return port;
    },
  };
}

const CERTIFICATE = {
  certificate: 'AA==',
  certificateSha256: 'ab'.repeat(32),
  intermediates: [],
  issuer: 'CN=x',
  notAfter: '2031-01-01T00:00:00.000Z',
  holder: { name: 'x', role: 'Medical Doctor' },
};

describe('content: the port of a card flow', () => {
  it('is closed once the reply is read', async () => {
    const runtime = fakeRuntime({ ok: true, value: CERTIFICATE });
    await authenticateOverPort(runtime, { kind: 'page-get-signing-certificate' });
    expect(runtime.ports[0]!.disconnected).toBe(true);
  });

  it('is handed to `keep`, open, after a successful reply', async () => {
    const runtime = fakeRuntime({ ok: true, value: CERTIFICATE });
    const kept: PortLike[] = [];
    expect(
      await authenticateOverPort(runtime, { kind: 'page-get-signing-certificate' }, { keep: (p) => void kept.push(p) }),
    ).toEqual(CERTIFICATE);
    expect(kept).toEqual([runtime.ports[0]]);
    expect(runtime.ports[0]!.disconnected).toBe(false);
  });

  it('is closed, not kept, after an error', async () => {
    const runtime = fakeRuntime({ ok: false, error: { code: 'ERR_HPKI_USER_CANCELLED', message: 'x' } });
    const kept: PortLike[] = [];
    await expect(
      authenticateOverPort(runtime, { kind: 'page-get-signing-certificate' }, { keep: (p) => void kept.push(p) }),
    ).rejects.toMatchObject({ code: 'ERR_HPKI_USER_CANCELLED' });
    expect(kept).toEqual([]);
    expect(runtime.ports[0]!.disconnected).toBe(true);
  });

  it('is closed when the page leaves while the flow is under way (Firefox keeps it otherwise)', async () => {
    const runtime = fakeRuntime(undefined, false);
    const page = leavingPage();
    const pending = authenticateOverPort(runtime, { kind: 'page-get-signing-certificate' }, { onLeave: page.onLeave });
    page.leave();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_HPKI_USER_CANCELLED' });
    expect(runtime.ports[0]!.disconnected).toBe(true);
    expect(page.callbacks.size).toBe(0);
  });

  it('stops listening for the page leaving once the reply is in', async () => {
    const runtime = fakeRuntime({ ok: true, value: CERTIFICATE });
    const page = leavingPage();
    const kept: PortLike[] = [];
    await authenticateOverPort(
      runtime,
      { kind: 'page-get-signing-certificate' },
      { keep: (p) => void kept.push(p), onLeave: page.onLeave },
    );
    expect(page.callbacks.size).toBe(0);
    expect(runtime.ports[0]!.disconnected).toBe(false);
  });
});
