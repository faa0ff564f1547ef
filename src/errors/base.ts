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

  toWire(): WireError {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Whether `value` is an instance of `cls` or of the same class in another copy of this module: any
 * branded error is a StowageError, and one is an instance of a subclass whose stable code it
 * carries (each code belongs to one class).
 */
function isInstanceOf(cls: typeof StowageError, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  if (typeof value !== 'object' || value === null || !(value as Record<symbol, unknown>)[BRAND]) return false;
  return cls.code === StowageError.code || (value as { code?: unknown }).code === cls.code;
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
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof StowageError ? `${error.code}: ${message}` : message;
}

/** Turns anything thrown into its wire form; foreign errors become STOWAGE_INTERNAL. */
export function toWireError(error: unknown): WireError {
  if (error instanceof StowageError) return error.toWire();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'STOWAGE_INTERNAL', message, details: {} };
}

/** Rebuilds the typed class for a wire error; an unknown code keeps its code on a base StowageError. */
export function fromWireError(wire: WireError): StowageError {
  const cls = registry.get(wire.code);
  if (cls) return new cls(wire.message, wire.details);
  const error = new StowageError(wire.message, wire.details);
  (error as { code: string }).code = wire.code;
  return error;
}
