// Confluent wire framing: magic byte 0, a 4-byte big-endian schema id, then the encoded value (JSON text
// under a JSON Schema, Avro binary under an Avro schema). Detecting and building a frame is pure; turning a
// framed value into JSON needs the schema registry (kafka/schema-registry-decoder.ts).
import type { RejectCode, RejectStage, SourceRecord } from './decode.ts';

export const MAGIC_BYTE = 0;
export const FRAME_HEADER_BYTES = 5;

export type Frame =
  | { kind: 'plain' }
  | { kind: 'framed'; schemaId: number; payload: Buffer }
  /** Starts with the magic byte but has no room for the schema id. */
  | { kind: 'truncated' };

/**
 * Plain JSON text never starts with a NUL byte (only whitespace, `{`, `[`, a quote, a digit, `-`, or a
 * literal may lead), so a leading 0 tells a framed value from a plain one without any guessing.
 */
export function detectFrame(value: Buffer): Frame {
  if (value.length === 0 || value[0] !== MAGIC_BYTE) return { kind: 'plain' };
  if (value.length < FRAME_HEADER_BYTES) return { kind: 'truncated' };
  return {
    kind: 'framed',
    schemaId: value.readUInt32BE(1),
    payload: value.subarray(FRAME_HEADER_BYTES),
  };
}

/** The framed bytes of `payload` under `schemaId` (what a Confluent serializer writes). */
export function frameValue(schemaId: number, payload: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffff_ffff) {
    throw new RangeError(`schema id must be a 32-bit unsigned integer, got ${schemaId}`);
  }
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, payload]);
}

/** A framed value turned into JSON through the registry, or why it could not be. */
export type FrameResolution =
  | {
      ok: true;
      schemaId: number;
      /** The decoded value: a plain JSON value (no Buffers, bigints or class instances). */
      json: unknown;
      /** Stored as buddy_system_events.payload: the JSON text of a JSON Schema value, as sent. */
      text: string;
    }
  | { ok: false; schemaId: number; code: RejectCode; stage: RejectStage; reason: string };

/** What the batch step needs to decode framed values before its transaction. */
export interface FrameResolver {
  /**
   * Resolves every framed value among `records`; plain values are absent from the result. May wait for
   * the registry (bounded by its retry timeout), calling `heartbeat` meanwhile; rejects only when the
   * resolver is closed (shutdown), so the batch is not applied and its records are delivered again.
   */
  resolve(
    records: readonly SourceRecord[],
    options?: { heartbeat?: () => Promise<void> },
  ): Promise<Map<SourceRecord, FrameResolution>>;
  close(): void;
}
