import type { PinApplication } from '../../protocol/messages.js';
import type { CardBackend, CardToken } from '../card/index.js';

/**
 * Opens the card's `application` (the authentication AP unless told otherwise) for exactly one command
 * and always releases it, however the command ends.
 */
export async function withCardToken<T>(
  backend: CardBackend,
  reader: string | undefined,
  use: (token: CardToken, readerName: string) => Promise<T>,
  application: PinApplication = 'auth',
): Promise<T> {
  const { reader: readerName, token } = await backend.openToken(reader, application);
  try {
    return await use(token, readerName);
  } finally {
    await token.close().catch(() => undefined);
  }
}
