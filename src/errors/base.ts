/**
 * The root of every error stowage throws. Each subclass carries a stable `code`
 * (documented in docs/errors.md) and plain-data `details`, so an error can cross a
 * worker-thread boundary as JSON and be rebuilt into the same class on the other side.
 */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

/** The plain-data form of an error, as it travels between threads. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details: ErrorDetails;
}

/**
 * Marks every stowage error, in the process-wide symbol registry. A process can hold two copies of
 * this module: under tsx, piscina `require`s an actor worker's entry while backends are loaded by
 * `import()`, and an application can mix a CommonJS and an ES module copy of the package. An error
 * from one copy must still be recognised by the other, or it would cross threads as
 * STOWAGE_INTERNAL and lose its class.
 */
const BRAND = Symbol.for('stowage.error');

export class StowageError extends Error {
  static readonly code: string = 'STOWAGE_ERROR';
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message);
    const ctor = new.target as typeof StowageError;
    this.code = ctor.code;
    this.name = ctor.name;
    this.details = details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `instanceof` across copies of this module (see BRAND and isInstanceOf). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about, a subclass included
    return isInstanceOf(this, value);
  }

  /** Plain data whatever a subclass or a custom backend put in it: see plainDetails(). */
  toWire(): WireError {
    return { code: this.code, message: textOf(() => this.message), details: plainDetails(this.details) };
  }
}

/**
 * The longest message an error keeps when it crosses threads or is quoted in another: a custom
 * backend's 64 MiB message was copied into every later error of its instance and printed whole.
 */
export const MAX_WIRE_MESSAGE_CHARS = 16 * 1024;
/** Details beyond these are dropped on the wire; stowage's own errors carry a handful. */
const MAX_WIRE_DETAILS = 64;

/**
 * `read()` as capped text, never throwing: a thrown null-prototype object, a Proxy, or an Error
 * whose message getter throws could not be turned into text, and the throw that made escaped the
 * worker's error handling and failed every operation of the batch, stored ones included.
 */
function textOf(read: () => unknown, maxChars = MAX_WIRE_MESSAGE_CHARS): string {
  let text: string;
  try {
    text = String(read());
  } catch {
    text = 'a thrown value that cannot be turned into text';
  }
  if (text.length <= maxChars) return text;
  // Not between the two halves of a surrogate pair, which would leave half a character.
  const cut = isHighSurrogate(text.charCodeAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return `${text.slice(0, cut)}… (${text.length - cut} more characters cut)`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * What a thrown value says, for quoting in another error's message: an Error's message, anything
 * else as String() makes it, capped at `maxChars`, never throwing. A caller's getter or Proxy trap
 * can throw a null-prototype object, or an Error whose message getter throws, and quoting it
 * with String() then threw a raw TypeError in place of the typed refusal; and a 1 MB message
 * was quoted whole.
 */
export function thrownText(error: unknown, maxChars = QUOTED_THROWN_CHARS): string {
  return textOf(() => (error instanceof Error ? error.message : error), maxChars);
}

/** How much of a thrown value's text another error's message quotes (thrownText). */
const QUOTED_THROWN_CHARS = 300;

/**
 * Details as the wire can carry them: strings (capped), finite numbers, booleans and null. A
 * function, an object or a getter that throws in a custom backend's details could not be cloned
 * to the main thread, which took the worker for crashed; cyclic ones broke JSON.stringify later.
 */
function plainDetails(details: unknown): ErrorDetails {
  const plain: Record<string, string | number | boolean | null> = {};
  try {
    if (typeof details !== 'object' || details === null) return plain;
    for (const key of Object.keys(details).slice(0, MAX_WIRE_DETAILS)) {
      try {
        const value = (details as Record<string, unknown>)[key];
        if (typeof value === 'string') plain[key] = textOf(() => value);
        else if (
          (typeof value === 'number' && Number.isFinite(value)) ||
          typeof value === 'boolean' ||
          value === null
        )
          plain[key] = value;
      } catch {
        // A getter that throws: the detail is left out, the error still crosses.
      }
    }
  } catch {
    // A Proxy whose ownKeys trap throws: no details.
  }
  return plain;
}

/**
 * Whether `value` is an instance of `cls` or of the same class in another copy of this module: any
 * branded error is a StowageError, and one is an instance of a subclass whose stable code it
 * carries (each code belongs to one class).
 */
function isInstanceOf(cls: typeof StowageError, value: unknown): boolean {
  // Never throws: `instanceof` on what a caller's getter threw (a revoked Proxy, a Proxy whose
  // prototype trap throws) ran the trap, and the TypeError escaped the typed refusal around it.
  try {
    if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
    if (typeof value !== 'object' || value === null || !(value as Record<symbol, unknown>)[BRAND])
      return false;
    return cls.code === StowageError.code || (value as { code?: unknown }).code === cls.code;
  } catch {
    return false;
  }
}

type ErrorClass = (new (message: string, details?: ErrorDetails) => StowageError) & { readonly code: string };

const registry = new Map<string, ErrorClass>();

/** Makes classes rebuildable from their wire form. Each code may be registered once. */
export function registerErrorClasses(...classes: ErrorClass[]): void {
  for (const cls of classes) {
    const existing = registry.get(cls.code);
    if (existing && existing !== cls) throw new Error(`error code ${cls.code} registered twice`);
    registry.set(cls.code, cls);
  }
}

export function registeredErrorCodes(): string[] {
  return [...registry.keys()].sort();
}

/**
 * `<code>: <message>` for a StowageError, the message alone for anything else: for messages that
 * carry another error's, so that the code an operator looks up (docs/errors.md) is not lost.
 */
export function describeError(error: unknown): string {
  const { code, message } = toWireError(error);
  let branded = false;
  try {
    branded = error instanceof StowageError;
  } catch {
    // A Proxy whose prototype trap throws is no StowageError, and must not make this throw.
  }
  return branded ? `${code}: ${message}` : message;
}

/** Turns anything thrown into its wire form, never throwing; foreign errors become STOWAGE_INTERNAL. */
export function toWireError(error: unknown): WireError {
  try {
    if (error instanceof StowageError && typeof error.code === 'string') return error.toWire();
  } catch {
    // A branded error that cannot be read as one is reported as what it is below: foreign.
  }
  return {
    code: 'STOWAGE_INTERNAL',
    message: thrownText(error, MAX_WIRE_MESSAGE_CHARS),
    details: {},
  };
}

/** Rebuilds the typed class for a wire error; an unknown code keeps its code on a base StowageError. */
export function fromWireError(wire: WireError): StowageError {
  const cls = registry.get(wire.code);
  if (cls) return new cls(wire.message, wire.details);
  const error = new StowageError(wire.message, wire.details);
  (error as { code: string }).code = wire.code;
  return error;
}
