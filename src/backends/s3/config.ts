import { z } from 'zod';
import { headerValue } from '../../config/header-value.js';
import { instanceName } from '../../config/instance-name.js';
import { reportedIssue } from '../../config/reported-issue.js';
import { shownPath } from '../../config/shown-key.js';
import { MAX_TIMER_MS } from '../../config/timer-limit.js';
import { S3ConfigError } from '../../errors/s3-errors.js';

/**
 * Configuration of one S3 instance. Plain data, so it can cross to a worker thread as-is.
 * See docs/s3.md for each field and for the settings that fit AWS versus radosgw or MinIO.
 */
export interface S3BackendConfig {
  /** A custom endpoint (`http://127.0.0.1:7480`); leave unset for AWS S3. */
  readonly endpoint?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  readonly bucket: string;
  /** Keys live under `<prefix>/`; slashes at either end are ignored. @default '' */
  readonly prefix?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need. @default false */
  readonly forcePathStyle?: boolean;
  /** Static credentials; when unset, the SDK's default chain (environment, profile, IMDS…) is used. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /**
   * When the SDK computes request checksums and validates response ones. `when_supported` (the SDK
   * default) suits AWS; `when_required` suits radosgw, MinIO and other S3-compatible stores.
   * @default 'when_supported'
   */
  readonly checksumMode?: 'when_supported' | 'when_required';
  readonly timeouts?: {
    /** To establish a TCP/TLS connection. @default 3000 */
    readonly connectMs?: number;
    /** For one attempt, until the response headers arrive, and the longest silence while reading. @default 5000 */
    readonly requestMs?: number;
    /**
     * For one whole operation, all retries included: nothing ever waits longer. The default stays
     * under the runtime's hang timeout (10 s), so a slow S3 fails the operation, not the worker.
     * @default 8000
     */
    readonly operationMs?: number;
  };
  /** The SDK's retry strategy. @default 'standard' */
  readonly retryMode?: 'standard' | 'adaptive';
  /** Attempts per request, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Bound on open keep-alive connections to the endpoint. @default 64 */
  readonly maxSockets?: number;
  /** Objects fetched at once while listing a kind. @default 32 */
  readonly listConcurrency?: number;
}

/** The configuration with every default filled in and the prefix normalized. */
export interface ResolvedS3Config {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly forcePathStyle: boolean;
  readonly credentials: S3BackendConfig['credentials'];
  readonly checksumMode: 'when_supported' | 'when_required';
  readonly timeouts: { readonly connectMs: number; readonly requestMs: number; readonly operationMs: number };
  readonly retryMode: 'standard' | 'adaptive';
  readonly maxAttempts: number;
  readonly maxSockets: number;
  readonly listConcurrency: number;
}

const positiveInt = z.number().int().positive();
/** A prefix segment may not be empty, `.` or `..`, so a key can never climb out of its prefix. */
const PREFIX = /^(?:[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)?$/;

/** The fields of an S3 instance; the configuration file's schema checks them too (config/schema.ts). */
export const s3ConfigSchema = z.strictObject({
  endpoint: z
    .url({ protocol: /^https?$/ })
    // Credentials belong in `credentials`: in the URL they would show in config.endpoint and in
    // every error that names the endpoint.
    .refine((url) => {
      // zod runs this even after the URL check failed, which has reported that already.
      if (!URL.canParse(url)) return true;
      const parsed = new URL(url);
      return parsed.username === '' && parsed.password === '';
    }, 'must not carry credentials (user:password@); use credentials')
    // The SDK drops a query and a fragment: such an endpoint reaches the storage the bare one
    // does, under another instance name, so two actors could write one prefix.
    .refine((url) => {
      if (!URL.canParse(url)) return true;
      const parsed = new URL(url);
      return parsed.search === '' && parsed.hash === '' && !url.includes('?') && !url.includes('#');
    }, 'must not carry a query (?) or a fragment (#)')
    // The SDK puts the bucket after the endpoint's path: `http://host/b1` with bucket b2 wrote into
    // bucket b1, under the folder b2/.
    .refine(
      (url) => !URL.canParse(url) || new URL(url).pathname === '/',
      'must not carry a path; name the bucket in bucket and a folder in prefix',
    )
    .optional(),
  // What the SDK accepts as a region (a host label); anything else failed at open as if the
  // endpoint were unreachable.
  region: z
    .string()
    .regex(/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/, 'must be a region name (letters, digits and -)')
    .default('us-east-1'),
  // The naming rules AWS S3, radosgw and MinIO share: a name they refuse failed only at open, as a
  // missing bucket. (AWS also reserves some prefixes and suffixes, which other stores need not.)
  bucket: z
    .string()
    .regex(/^[a-z0-9.-]{3,63}$/, 'not a valid bucket name: 3 to 63 of a-z, 0-9, . and -')
    .refine(
      (bucket) => bucket.split('.').every((label) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label)),
      'not a valid bucket name: labels between dots are not empty and begin and end with a letter or digit',
    )
    .refine(
      (bucket) => !/^\d+\.\d+\.\d+\.\d+$/.test(bucket),
      'not a valid bucket name: shaped like an IP address',
    ),
  // 256 keeps the longest possible key (253-character group and name) under S3's 1,024 bytes.
  prefix: z
    .string()
    .max(256)
    .default('')
    .transform((p) => p.replace(/^\/+|\/+$/g, ''))
    .refine((p) => PREFIX.test(p) && !p.split('/').some((s) => s === '.' || s === '..'), {
      message: 'segments must be non-empty, not . or .., and use only A-Z a-z 0-9 _ . -',
    }),
  forcePathStyle: z.boolean().default(false),
  // Strict, so a misspelt field is reported, except for the fields the AWS SDK itself adds to an
  // AwsCredentialIdentity: a credentials object an SDK client has used carries `$source`, and one a
  // credential provider resolved may carry the others. They are dropped, not passed on.
  credentials: z
    .strictObject({
      accessKeyId: headerValue,
      secretAccessKey: headerValue,
      sessionToken: headerValue.optional(),
      $source: z.unknown().optional(),
      credentialScope: z.unknown().optional(),
      accountId: z.unknown().optional(),
      expiration: z.unknown().optional(),
    })
    .transform(({ accessKeyId, secretAccessKey, sessionToken }) => ({
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    }))
    .optional(),
  checksumMode: z.enum(['when_supported', 'when_required']).default('when_supported'),
  timeouts: z
    .strictObject({
      connectMs: positiveInt.max(MAX_TIMER_MS).default(3000),
      requestMs: positiveInt.max(MAX_TIMER_MS).default(5000),
      operationMs: positiveInt.max(MAX_TIMER_MS).default(8000),
    })
    .default({ connectMs: 3000, requestMs: 5000, operationMs: 8000 }),
  retryMode: z.enum(['standard', 'adaptive']).default('standard'),
  maxAttempts: positiveInt.max(10).default(3),
  maxSockets: positiveInt.max(1024).default(64),
  listConcurrency: positiveInt.max(256).default(32),
});

/** Validates and fills defaults; throws S3ConfigError naming the field, never echoing a value. */
export function resolveS3Config(config: S3BackendConfig): ResolvedS3Config {
  // `kind` arrives with the factory's BackendConfig; every other unknown field is a typo to report.
  const { kind: _kind, ...fields } = config as S3BackendConfig & { kind?: unknown };
  const parsed = s3ConfigSchema.safeParse(fields);
  if (!parsed.success) {
    const { path, message } = reportedIssue(parsed.error.issues);
    const field = shownPath(path);
    // Only the field and the rule: a value here could be a secret (a key pasted in the wrong field).
    throw new S3ConfigError(`invalid s3 configuration: ${field || 'config'}: ${message}`, { field });
  }
  return { ...parsed.data, endpoint: parsed.data.endpoint, credentials: parsed.data.credentials };
}

/** `s3-<hash>` of endpoint (or AWS region), bucket and prefix: stable, and free of credentials. */
export function s3InstanceName(config: S3BackendConfig): string {
  const resolved = resolveS3Config(config);
  return instanceName('s3', JSON.stringify([storeOf(resolved), resolved.bucket, resolved.prefix]));
}

/** The object store an instance talks to, as its name hashes it: its endpoint as written, or the AWS region. */
function storeOf(config: ResolvedS3Config): string {
  return config.endpoint ?? `aws:${config.region}`;
}

/**
 * The object store as a URL parses it, so that two spellings of one endpoint (a trailing slash,
 * the scheme's case, the default port written out) compare equal. Names keep the endpoint as
 * written (s3InstanceName), so existing names do not change; only comparisons use this.
 */
function sameStoreOf(config: ResolvedS3Config): string {
  // AWS regions are lower case; the SDK takes `US-EAST-1` for the same one.
  return config.endpoint === undefined ? `aws:${config.region.toLowerCase()}` : new URL(config.endpoint).href;
}

/** What two S3 configurations of one bucket and prefix share however they spell the endpoint. */
export function s3StorageIdentity(config: S3BackendConfig): string {
  const resolved = resolveS3Config(config);
  return JSON.stringify(['s3', sameStoreOf(resolved), resolved.bucket, resolved.prefix]);
}

/**
 * The first two of `configs` (by index) whose prefixes nest in one bucket: `''` holds every other
 * prefix, `a` holds `a/b` but not `ab`. The outer instance would list the inner one's keys under
 * its own GVKs. Equal prefixes are one instance, refused as such (storageIdentity, factory.ts).
 */
export function nestedS3Prefixes(
  configs: readonly S3BackendConfig[],
): { readonly outer: number; readonly inner: number } | undefined {
  const resolved = configs.map(resolveS3Config);
  for (let later = 1; later < resolved.length; later++) {
    for (let earlier = 0; earlier < later; earlier++) {
      const [a, b] = [resolved[earlier]!, resolved[later]!];
      if (sameStoreOf(a) !== sameStoreOf(b) || a.bucket !== b.bucket || a.prefix === b.prefix) continue;
      if (holds(a.prefix, b.prefix)) return { outer: earlier, inner: later };
      if (holds(b.prefix, a.prefix)) return { outer: later, inner: earlier };
    }
  }
  return undefined;
}

/** Why nestedS3Prefixes' inner instance is refused, naming the outer one. */
export function nestedPrefixesProblem(outer: string): string {
  return `its prefix lies inside that of ${outer} in one bucket, so ${outer} would list its objects as its own (docs/s3.md, "Instance names")`;
}

function holds(outer: string, inner: string): boolean {
  return outer === '' || inner.startsWith(`${outer}/`);
}
