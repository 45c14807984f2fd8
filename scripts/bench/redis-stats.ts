import { Redis } from 'ioredis';

/**
 * What a Redis server ran while a benchmark ran, from `INFO commandstats` (reset first): the Lua
 * scripts it was sent and every command it ran, the scripts' own commands included.
 */
export interface RedisCommands {
  scripts: number;
  commands: number;
}

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval']);

function countCalls(commandstats: string): RedisCommands {
  let scripts = 0;
  let commands = 0;
  for (const line of commandstats.split('\n')) {
    const match = /^cmdstat_([a-z|_]+):calls=(\d+)/.exec(line.trim());
    if (match === null || match[1] === 'config|resetstat' || match[1] === 'info') continue;
    const calls = Number(match[2]);
    commands += calls;
    if (SCRIPT_COMMANDS.has(match[1]!)) scripts += calls;
  }
  return { scripts, commands };
}

/** Runs `run` and answers what the Redis at `url` ran meanwhile (whoever sent it). */
export async function redisCommandsDuring(url: string, run: () => Promise<void>): Promise<RedisCommands> {
  const stats = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await stats.connect();
    await stats.config('RESETSTAT');
    await run();
    return countCalls(await stats.info('commandstats'));
  } finally {
    stats.disconnect();
  }
}
