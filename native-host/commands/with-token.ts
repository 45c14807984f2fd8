import type { CardBackend, CardToken } from '../card/index.js';

/** Opens the card for exactly one command and always releases it, however the command ends. */
export async function withCardToken<T>(
  backend: CardBackend,
  reader: string | undefined,
  use: (token: CardToken, readerName: string) => Promise<T>,
): Promise<T> {
  const { reader: readerName, token } = await backend.openToken(reader);
  try {
    return await use(token, readerName);
  } finally {
    await token.close().catch(() => undefined);
  }
}
