/**
 * The Jupyter wire protocol (messaging spec 5.3): a multipart zeromq message is
 *
 *   [identity, ..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffer, ...]
 *
 * The signature is the hex HMAC-SHA256 of the four JSON parts (not the buffers) with the connection
 * file's key; an empty key means unsigned messages.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'crypto';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = Buffer.from('<IDS|MSG>');

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded message. `buffers` are the raw frames after the content (comm binary data). */
export interface Message<C = JSONObject> {
  identities: Buffer[];
  header: Header;
  /** The request's header, or `{}` for messages not caused by one. */
  parent_header: Header | Record<string, never>;
  metadata: JSONObject;
  content: C;
  buffers: Buffer[];
}

/** A message could not be decoded: missing delimiter, bad signature, bad JSON. Logged and dropped. */
export class WireError extends Error {
  override name = 'WireError';
}

/** Signs and verifies with the connection file's key and scheme (only hmac-sha256 is used by Jupyter). */
export class Signer {
  private readonly key: Buffer;
  constructor(key: string, scheme = 'hmac-sha256') {
    if (key !== '' && scheme !== 'hmac-sha256') {
      throw new WireError(`unsupported signature_scheme ${JSON.stringify(scheme)}; supported: hmac-sha256`);
    }
    this.key = Buffer.from(key, 'utf8');
  }

  sign(parts: readonly Buffer[]): string {
    if (this.key.length === 0) return '';
    const hmac = createHmac('sha256', this.key);
    for (const p of parts) hmac.update(p);
    return hmac.digest('hex');
  }

  verify(signature: string, parts: readonly Buffer[]): boolean {
    if (this.key.length === 0) return true;
    const want = Buffer.from(this.sign(parts), 'utf8');
    const got = Buffer.from(signature, 'utf8');
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

function parseObject(part: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(part.toString('utf8'));
  } catch (e) {
    throw new WireError(`${what} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Decodes and verifies frames from a ROUTER socket. Throws WireError. */
export function decode(frames: readonly Buffer[], signer: Signer): Message {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) throw new WireError('message has no <IDS|MSG> delimiter');
  if (frames.length < at + 6) throw new WireError(`message has ${frames.length - at - 1} parts after the delimiter; expected at least 5`);
  const signature = frames[at + 1].toString('utf8');
  const parts = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, parts)) throw new WireError('invalid HMAC signature');
  const header = parseObject(parts[0], 'header');
  if (typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') {
    throw new WireError('header lacks msg_type or msg_id');
  }
  return {
    identities: frames.slice(0, at),
    header: header as unknown as Header,
    parent_header: parseObject(parts[1], 'parent_header') as Message['parent_header'],
    metadata: parseObject(parts[2], 'metadata') as JSONObject,
    content: parseObject(parts[3], 'content') as JSONObject,
    buffers: frames.slice(at + 6),
  };
}

/** Encodes a message to frames, signing the JSON parts. */
export function encode(msg: Message<unknown>, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p), 'utf8'));
  return [...msg.identities, DELIMITER, Buffer.from(signer.sign(parts), 'utf8'), ...parts, ...msg.buffers];
}

/** A new header for a message sent by the kernel in `session`. */
export function newHeader(msgType: string, session: string, username = 'kernel'): Header {
  return { msg_id: randomUUID(), session, username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

/** Any binary view as a Buffer without copying. */
export function toBuffer(b: ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(b)) return b;
  if (ArrayBuffer.isView(b)) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.from(b);
}
