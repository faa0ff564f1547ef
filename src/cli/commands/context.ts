import type { CliTarget } from '../target.js';

export interface CommandOutput {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
}

export interface CommandFlags {
  readonly output?: string;
  readonly file?: string;
  readonly from?: string;
  readonly to?: string;
}

/** Everything a verb needs; the target is opened by main from --server or --config. */
export interface CommandContext {
  readonly target: CliTarget;
  readonly positionals: readonly string[];
  readonly flags: CommandFlags;
  readonly out: CommandOutput;
  /**
   * What `-f` names, or standard input, as bytes (a secret's value need not be UTF-8), read by
   * main (input.ts); undefined for a verb that reads no input.
   */
  readonly input: Buffer | undefined;
}
