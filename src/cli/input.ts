import { createReadStream } from 'node:fs';
import { UsageError } from './output.js';

/**
 * Most bytes `-f` (or stdin) is read up to. `put -f` parses its whole input before it stores any
 * of it (so a bad object stores nothing), and V8 cannot make a string of more than 512 MiB; before
 * this, `-f /dev/zero` grew without end and an input over 512 MiB failed with V8's own error.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/**
 * The input of `put -f` or `secret put`: the file named, or standard input for `-` or none, read
 * whole. Anything it cannot read is a usage error (exit 2).
 */
export async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const fromStdin = file === undefined || file === '-';
  const source = fromStdin ? 'standard input' : file;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of fromStdin ? stdin : createReadStream(file)) {
      size += (chunk as Buffer).length;
      if (size > MAX_INPUT_BYTES) {
        throw new UsageError(
          `${source} is over ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the most -f reads: split it (each object stands alone), or move a whole instance with stowage copy`,
        );
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${source}: ${code ?? (error as Error).message}`);
  }
  return Buffer.concat(chunks);
}
