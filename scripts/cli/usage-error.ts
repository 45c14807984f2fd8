/**
 * A command line the command cannot run: its message says what is wrong, and the CLI prints it with
 * the command's usage and exits 2 (PROTOCOL.md §9). One class for every subcommand.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
