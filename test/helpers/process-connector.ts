import { spawn } from 'node:child_process';
import type { NativeConnector, NativePort } from '../../extension/background/native-host.js';
import { createFrameDecoder, encodeFrame } from '../../native-host/host/framing.js';
import { MAX_HOST_MESSAGE_BYTES } from '../../protocol/messages.js';
import { CLI } from '../../scripts/dev/native-client.js';

/**
 * The browser's side of native messaging for the extension's background code, over a real host
 * process: each `connectNative` starts `hpki-login host …` as a browser would, frames go over its
 * stdin and stdout, and the port disconnects when the process exits.
 */
export function processConnector(hostArgs: string[]): NativeConnector & { started(): number } {
  let started = 0;
  return {
    started: () => started,
    connectNative() {
      started++;
      const child = spawn(process.execPath, [CLI, 'host', ...hostArgs], { stdio: ['pipe', 'pipe', 'ignore'] });
      const decoder = createFrameDecoder(MAX_HOST_MESSAGE_BYTES);
      const messages: Array<(message: unknown) => void> = [];
      const disconnects: Array<(port: { error?: { message?: string } | null }) => void> = [];
      child.stdout?.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(new Uint8Array(chunk)))
          if (frame.kind === 'message') for (const l of messages) l(frame.value);
      });
      child.once('exit', () => {
        for (const l of disconnects) l({ error: { message: 'Native host has exited.' } });
      });
      const port: NativePort = {
        postMessage: (message) => void child.stdin?.write(encodeFrame(message)),
        disconnect: () => void child.stdin?.end(),
        onMessage: { addListener: (l) => void messages.push(l) },
        onDisconnect: { addListener: (l) => void disconnects.push(l) },
      };
      return port;
    },
  };
}
