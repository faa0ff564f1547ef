/** What the control writer appends, again and again: a fixed 64-byte record. */
export const CONTROL_RECORD = `${'x'.repeat(63)}\n`;
