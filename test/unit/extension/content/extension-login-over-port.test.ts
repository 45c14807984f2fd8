import { describe, expect, it } from 'vitest';
import { authenticateOverPort, type PortLike } from '../../../../extension/content/login-over-port.js';

// The content script's port of one card flow: closed once the reply is read, except the port of a
// getSigningCertificate whose caller keeps it (it tells the background the page is still there
// while the window waits for the page's sign; background/held-window.ts).

function fakeRuntime(reply: unknown) {
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
          queueMicrotask(() => listeners.forEach((l) => l(reply)));
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
      await authenticateOverPort(runtime, { kind: 'page-get-signing-certificate' }, (p) => void kept.push(p)),
    ).toEqual(CERTIFICATE);
    expect(kept).toEqual([runtime.ports[0]]);
    expect(runtime.ports[0]!.disconnected).toBe(false);
  });

  it('is closed, not kept, after an error', async () => {
    const runtime = fakeRuntime({ ok: false, error: { code: 'ERR_HPKI_USER_CANCELLED', message: 'x' } });
    const kept: PortLike[] = [];
    await expect(
      authenticateOverPort(runtime, { kind: 'page-get-signing-certificate' }, (p) => void kept.push(p)),
    ).rejects.toMatchObject({ code: 'ERR_HPKI_USER_CANCELLED' });
    expect(kept).toEqual([]);
    expect(runtime.ports[0]!.disconnected).toBe(true);
  });
});
