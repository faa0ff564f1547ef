import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import PQueue from 'p-queue';
import { type GroupVersionKind, parseGvkString } from '../../contract/gvk.js';
import type { MachineId } from '../../contract/machine-id.js';
import type { ObjectKey } from '../../contract/object-key.js';
import { CorruptObjectError, InvalidGvkError } from '../../errors/object-errors.js';
import {
  S3AccessDeniedError,
  S3BadCredentialsError,
  S3NoSuchBucketError,
  S3RequestError,
  S3TimeoutError,
} from '../../errors/s3-errors.js';
import type { Backend, BackendRecord, OpenOptions } from '../backend.js';
import { checksumMetadata, checksumMismatch } from './body-checksum.js';
import { connectS3, type S3Connection } from './client.js';
import { type ResolvedS3Config, resolveS3Config, type S3BackendConfig } from './config.js';
import {
  gvkPrefix,
  keyFromPath,
  markerPath,
  objectPath,
  rootPrefix,
  STOWAGE_DIR,
  stowageKey,
} from './keys.js';
import {
  bodyReadError,
  isNotFound,
  type S3ErrorContext,
  timedOutAfterRequests,
  toS3Error,
} from './map-error.js';
import { mapOrdered } from './ordered-map.js';

type Context = Omit<S3ErrorContext, 'bucket' | 'deadlineExpired'>;

/**
 * An SDK client and the slots in front of its sockets. A request waits for a slot here, under its
 * operation's deadline, rather than for a socket inside the SDK: there the connection timeout runs
 * from the request's creation, so a request that waited for a socket longer than connectMs failed
 * as a timeout without ever being sent.
 */
interface Lane {
  readonly connection: S3Connection;
  readonly requests: PQueue;
}

function lane(config: ResolvedS3Config): Lane {
  return { connection: connectS3(config), requests: new PQueue({ concurrency: config.maxSockets }) };
}

/**
 * The smallest bound on an object's size read back, whatever the store's limit: objects written
 * under a higher limit than today's stay readable up to it, while one planted by another tool (a
 * 200 MiB object was read whole before, 32 at a time in a listing) is refused unread.
 */
export const S3_READ_FLOOR_BYTES = 64 * 1024 * 1024;

/** Keys per ListObjectsV2 page: the S3 maximum, so a listing costs the fewest round trips. */
const PAGE_SIZE = 1000;

/**
 * Stores each record as one S3 object (key layout in keys.ts). Every request carries the operation
 * deadline, and every failure leaves as a typed STOWAGE_S3_* error built from codes, never from SDK
 * text. The connection is held in a private field so no inspection of the backend shows credentials.
 *
 * Optimistic concurrency fits here later without a layout change: put would send If-Match (the
 * ETag from the last get, unquoted for radosgw) or If-None-Match: * for create, and map 412 (and
 * radosgw's 409/500 on a lost race) to a conflict error.
 */
export class S3Backend implements Backend {
  readonly kind = 's3';
  readonly config: Omit<ResolvedS3Config, 'credentials'>;
  readonly #lane: Lane;
  readonly #client: S3Client;
  /**
   * The liveness probe's own connection, one socket: a probe measures the server, not this
   * backend's queue. Sharing the operations' sockets, a probe waited behind up to 192 requests of
   * a server answering in 0.8 s, timed out three times, and the instance was restarted as hung.
   */
  #probeLane: Lane | undefined;
  readonly #resolved: ResolvedS3Config;
  /** Objects larger than this are refused on read, before their body is read. */
  #maxReadBytes = S3_READ_FLOOR_BYTES;

  constructor(config: S3BackendConfig) {
    const resolved = resolveS3Config(config);
    const { credentials: _credentials, ...visible } = resolved;
    this.config = visible;
    this.#lane = lane(resolved);
    this.#client = this.#lane.connection.client;
    this.#resolved = resolved;
  }

  /**
   * Checks the bucket exists and stores what is written to it: HeadBucket, then a marker object
   * written, read back and removed. Without the read-back, any web server that answers 200 (a
   * proxy's default page at a mistyped endpoint) passed, and acknowledged every put it dropped.
   */
  async open(machineId: MachineId, options?: OpenOptions): Promise<void> {
    this.#maxReadBytes = Math.max(S3_READ_FLOOR_BYTES, options?.maxObjectBytes ?? 0);
    const deadline = this.deadline();
    await this.headBucket('open', deadline);
    const marker = markerPath(this.config.prefix, String(machineId));
    const written = `${machineId} ${randomUUID()}`;
    await this.send(
      { operation: 'open', key: marker },
      (signal) =>
        this.#client.send(
          new PutObjectCommand({
            Bucket: this.config.bucket,
            Key: marker,
            Body: Buffer.from(written),
          }),
          { abortSignal: signal },
        ),
      deadline,
    );
    const removeMarker = () =>
      this.send(
        { operation: 'open', key: marker },
        (signal) =>
          this.#client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: marker }), {
            abortSignal: signal,
          }),
        deadline,
      );
    const read = await this.fetch(marker, 'open', deadline);
    if (read === undefined || Buffer.from(read).toString('utf8') !== written) {
      // Not left behind where a store kept other bytes; the refusal is the news, not this.
      await removeMarker().catch(() => undefined);
      throw new S3RequestError(
        `s3 open on bucket ${this.config.bucket} key ${marker}: the marker object written there read back ${read === undefined ? 'as missing' : 'with other bytes'}, so ${this.config.endpoint ?? 'the endpoint'} acknowledges writes it does not store: is it an S3 server, and is the endpoint its address?`,
        { operation: 'open', bucket: this.config.bucket, key: marker, awsCode: 'MarkerNotStored' },
      );
    }
    await removeMarker();
  }

  async put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void> {
    const path = objectPath(this.config.prefix, gvk, key);
    await this.send({ operation: 'put', key: path }, (signal) =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: path,
          // A Buffer body has a known length, so no aws-chunked encoding, which radosgw refuses.
          Body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          ContentType: 'application/json',
          Metadata: checksumMetadata(bytes),
        }),
        { abortSignal: signal },
      ),
    );
  }

  async get(gvk: GroupVersionKind, key: ObjectKey): Promise<Uint8Array | undefined> {
    return this.fetch(objectPath(this.config.prefix, gvk, key), 'get');
  }

  /**
   * HeadObject then DeleteObject: S3's delete answers 204 whether or not the key existed. Another
   * writer of the same bucket could slip between the two, so `existed` is exact only while this
   * instance is the bucket prefix's only writer, which is the contract; the caller already orders
   * calls on one key. With conditional deletes (If-Match on the HEAD's ETag) the gap would close.
   */
  async delete(gvk: GroupVersionKind, key: ObjectKey): Promise<boolean> {
    const path = objectPath(this.config.prefix, gvk, key);
    const context = { operation: 'delete', key: path };
    // One deadline for both requests: operationMs bounds the whole delete.
    const deadline = this.deadline();
    let head: unknown;
    try {
      head = await this.sendOrMissing(
        context,
        (signal) =>
          this.#client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: path }), {
            abortSignal: signal,
          }),
        deadline,
      );
    } catch (error) {
      throw await this.explainForbidden(error, context, path, deadline);
    }
    // The DeleteObject goes out even when HEAD found nothing: HEAD's bodiless 404 cannot tell a
    // missing key from a missing bucket, and DeleteObject answers NoSuchBucket for the latter.
    await this.send(
      context,
      (signal) =>
        this.#client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: path }), {
          abortSignal: signal,
        }),
      deadline,
    );
    return head !== undefined;
  }

  /** Pages through ListObjectsV2 and fetches bodies `listConcurrency` at a time, in key order. */
  async *list(gvk: GroupVersionKind): AsyncIterable<BackendRecord> {
    const records = mapOrdered(this.listKeys(gvk), this.config.listConcurrency, async (item, stopped) => ({
      key: item.key,
      bytes: await this.fetch(item.path, 'list', stopped),
    }));
    for await (const record of records) {
      // Deleted between the listing and the fetch: it is gone, so it is not listed.
      if (record.bytes !== undefined) yield { key: record.key, bytes: record.bytes };
    }
  }

  /**
   * Walks the layout's group/version/kind levels with delimiter listings; `_stowage/` is skipped. A
   * path shaped like a kind counts only once a key under it is one stowage writes: another tool's
   * files (`backups/v1/Snapshot/…`) or a console's empty folder are no kind of this instance, and
   * listing them as one failed every dump, copy and verify of the whole instance.
   */
  async kinds(): Promise<GroupVersionKind[]> {
    const found: GroupVersionKind[] = [];
    for await (const group of this.childPrefixes(rootPrefix(this.config.prefix))) {
      if (group.name === STOWAGE_DIR) continue;
      for await (const version of this.childPrefixes(group.path)) {
        for await (const kind of this.childPrefixes(version.path)) {
          // Anything else in the bucket under this prefix (another instance's prefix nested in
          // this one, foreign data) is not a kind of this instance: skipped, not a failure.
          const gvk = layoutGvk(`${group.name}/${version.name}/${kind.name}`);
          if (gvk && (await this.holdsObject(gvk))) found.push(gvk);
        }
      }
    }
    return found;
  }

  async probe(): Promise<void> {
    // Made at the first probe: LocalProvider never probes, and needs no second client.
    this.#probeLane ??= lane({ ...this.#resolved, maxSockets: 1 });
    await this.headBucket('probe', this.deadline(), this.#probeLane);
  }

  async close(): Promise<void> {
    this.#lane.connection.destroy();
    this.#probeLane?.connection.destroy();
  }

  private async *listKeys(gvk: GroupVersionKind): AsyncIterable<{ key: ObjectKey; path: string }> {
    for await (const path of this.listPaths(gvk)) {
      yield { key: keyFromPath(this.config.prefix, gvk, path), path };
    }
  }

  /** Whether a key under `gvk`'s prefix is one stowage writes; usually the first page tells. */
  private async holdsObject(gvk: GroupVersionKind): Promise<boolean> {
    for await (const path of this.listPaths(gvk)) {
      if (stowageKey(this.config.prefix, gvk, path) !== undefined) return true;
    }
    return false;
  }

  /** The keys listed under `gvk`'s prefix, but for folder markers. */
  private async *listPaths(gvk: GroupVersionKind): AsyncIterable<string> {
    for await (const page of this.listPages(gvkPrefix(this.config.prefix, gvk))) {
      for (const entry of page.Contents ?? []) {
        // An empty key ending in `/` is a "folder" a console or a tool made, not an object.
        if (!entry.Key || (entry.Key.endsWith('/') && entry.Size === 0)) continue;
        yield entry.Key;
      }
    }
  }

  /** The "directories" one level below `prefix` (which ends in `/` or is empty). */
  private async *childPrefixes(prefix: string): AsyncIterable<{ name: string; path: string }> {
    for await (const page of this.listPages(prefix, '/')) {
      for (const entry of page.CommonPrefixes ?? []) {
        if (entry.Prefix) yield { name: entry.Prefix.slice(prefix.length, -1), path: entry.Prefix };
      }
    }
  }

  /** Every ListObjectsV2 page under `prefix`, following continuation tokens. */
  private async *listPages(prefix: string, delimiter?: string): AsyncIterable<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.send({ operation: 'list', key: prefix }, (signal) =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: prefix,
            Delimiter: delimiter,
            MaxKeys: PAGE_SIZE,
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        ),
      );
      // Every ListObjectsV2 answer says whether it is truncated; a page without it was no listing
      // (a web server's 200, which the SDK parses as an empty, complete page), not "no objects".
      if (typeof page.IsTruncated !== 'boolean') {
        throw new S3RequestError(
          `s3 list on bucket ${this.config.bucket} key ${prefix}: the answer is not an S3 listing (it has no IsTruncated): is ${this.config.endpoint ?? 'the endpoint'} an S3 server?`,
          { operation: 'list', bucket: this.config.bucket, key: prefix, awsCode: 'NotAListing' },
        );
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      // A truncated page with no token would end the listing short without a word (some gateways
      // have sent one), and a token seen before in this listing, whenever, would list for ever:
      // both are refused.
      if (page.IsTruncated && (!token || seen.has(token))) {
        throw new S3RequestError(
          `s3 list on bucket ${this.config.bucket} key ${prefix}: the server sent a truncated page with ${token ? 'a continuation token it had sent before' : 'no continuation token'}, so the listing cannot be completed`,
          { operation: 'list', bucket: this.config.bucket, key: prefix, awsCode: 'BadPagination' },
        );
      }
      if (token !== undefined) seen.add(token);
    } while (token !== undefined);
  }

  /**
   * GetObject and its whole body. The SDK retries a request until its answer's headers arrive, not
   * while the body is read: a connection that broke or stalled mid-body failed the read at once,
   * and with it a whole listing (a dump, a copy). A GET changes nothing, so it is sent again, up to
   * maxAttempts reads in all, within the operation's deadline; a key deleted meanwhile is missing.
   * A body that does not match the checksum stored with it (body-checksum.ts) is read again the
   * same way; read wrong every time, it is a CorruptObjectError.
   */
  private async fetch(
    path: string,
    operation: string,
    stopped?: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    // A listing its reader gave up aborts the GETs it still has out (mapOrdered).
    const deadline = stopped ? AbortSignal.any([this.deadline(), stopped]) : this.deadline();
    // HTTP requests made by the reads so far, the SDK's retries of each included, which the errors
    // report: up to maxAttempts reads of up to maxAttempts requests each (docs/s3.md).
    let requests = 0;
    /** Whether the deadline can meet a read inside the SDK, whose requests `requests` lacks yet. */
    let inSdkCall = false;
    try {
      return await this.sendOrMissing(
        { operation, key: path },
        async (signal) => {
          for (let read = 1; ; read++) {
            inSdkCall = true;
            const response = await this.#client.send(
              new GetObjectCommand({ Bucket: this.config.bucket, Key: path }),
              { abortSignal: signal },
            );
            inSdkCall = false;
            requests += response.$metadata.attempts ?? 1;
            const length = response.ContentLength ?? 0;
            if (length > this.#maxReadBytes) {
              // Not read: the socket goes with the body, and the request's slot with the socket.
              (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
              throw new CorruptObjectError(
                `the S3 object ${path} is ${length} bytes, over the ${this.#maxReadBytes}-byte bound on reads: stowage wrote no object that large`,
                { where: path, bytes: length, limit: this.#maxReadBytes },
              );
            }
            try {
              const bytes = response.Body ? await response.Body.transformToByteArray() : new Uint8Array(0);
              const mismatch = checksumMismatch(path, bytes, response.Metadata);
              if (mismatch) throw mismatch;
              return bytes;
            } catch (error) {
              // Past the deadline its abort is the cause, which send() reports as a timeout.
              if (signal.aborted) throw error;
              if (read >= this.config.maxAttempts) {
                // Read wrong every time: the stored object is, as far as any reader can tell.
                if (error instanceof CorruptObjectError) throw error;
                throw bodyReadError(error, read, requests, {
                  operation,
                  bucket: this.config.bucket,
                  key: path,
                });
              }
            }
          }
        },
        deadline,
      );
    } catch (error) {
      // The deadline ended it after several reads: the count send() had was the last read's alone.
      if (!(error instanceof S3TimeoutError) || requests === 0) throw error;
      throw timedOutAfterRequests(error, requests, inSdkCall);
    }
  }

  /**
   * HeadBucket has no response body, so a 404 is reported as NoSuchBucket here, and a 403 is
   * explained by a GET that does carry an error code: bad credentials versus access denied.
   */
  private async headBucket(operation: string, deadline = this.deadline(), via = this.#lane): Promise<void> {
    let head: unknown;
    try {
      head = await this.sendOrMissing(
        { operation },
        (signal) =>
          via.connection.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }), {
            abortSignal: signal,
          }),
        deadline,
        via,
      );
    } catch (error) {
      throw await this.explainForbidden(error, { operation }, undefined, deadline);
    }
    if (head === undefined) {
      throw new S3NoSuchBucketError(
        `s3 ${operation} on bucket ${this.config.bucket}: bucket does not exist`,
        {
          operation,
          bucket: this.config.bucket,
          status: 404,
          awsCode: 'NoSuchBucket',
        },
      );
    }
  }

  /**
   * The error to report for a failed HEAD. Its 403 has no body to say why, so a ListObjectsV2
   * (under `prefix`), which carries an error code, asks again: bad credentials answer as such, and
   * anything else it meets (a real denial, a timeout, its own success) leaves the 403 standing.
   */
  private async explainForbidden(
    error: unknown,
    context: Context,
    prefix: string | undefined,
    deadline: AbortSignal,
  ): Promise<unknown> {
    if (!(error instanceof S3AccessDeniedError)) return error;
    try {
      await this.send(
        context,
        (signal) =>
          this.#client.send(
            new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, MaxKeys: 1 }),
            {
              abortSignal: signal,
            },
          ),
        deadline,
      );
    } catch (followUp) {
      // A denial it meets carries the store's own code (UserSuspended, AccessDenied), where the
      // HEAD's 403 had none to give ("Unknown").
      if (followUp instanceof S3BadCredentialsError || followUp instanceof S3AccessDeniedError)
        return followUp;
    }
    return error;
  }

  /** The deadline of one operation, shared by every request it makes (timeouts.operationMs). */
  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.config.timeouts.operationMs);
  }

  /**
   * Runs one SDK call, once a request slot is free, under the operation's deadline (which the
   * wait for the slot counts against); every failure leaves as a typed error.
   */
  private async send<T>(
    context: Context,
    call: (signal: AbortSignal) => Promise<T>,
    signal = this.deadline(),
    via = this.#lane,
  ): Promise<T> {
    try {
      return await via.requests.add(() => call(signal), { signal });
    } catch (error) {
      throw toS3Error(error, { ...context, bucket: this.config.bucket, deadlineExpired: signal.aborted });
    }
  }

  /** As send(), but a missing key (404) resolves undefined instead of failing. */
  private async sendOrMissing<T>(
    context: Context,
    call: (signal: AbortSignal) => Promise<T>,
    signal = this.deadline(),
    via = this.#lane,
  ): Promise<T | undefined> {
    return this.send(
      context,
      (abort) =>
        call(abort).catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw error;
        }),
      signal,
      via,
    );
  }
}

/** The GVK a layout path names, or undefined when it is no valid GVK. */
function layoutGvk(text: string): GroupVersionKind | undefined {
  try {
    return parseGvkString(text);
  } catch (error) {
    if (error instanceof InvalidGvkError) return undefined;
    throw error;
  }
}
