/**
 * The msgpack headers the Redis layers write by hand around an already
 * encoded message (map, array and str): each type has a one-byte form for
 * small sizes, then 16- and 32-bit length forms, and str also an 8-bit one.
 */

/** One sized msgpack type's header codes. */
export interface HeaderKind {
  /** Code of the one-byte form (plus the size), up to `fixMax`. */
  readonly fix: number;
  readonly fixMax: number;
  readonly u8?: number;
  readonly u16: number;
  readonly u32: number;
}

export const MAP: HeaderKind = { fix: 0x80, fixMax: 15, u16: 0xde, u32: 0xdf };
export const ARRAY: HeaderKind = { fix: 0x90, fixMax: 15, u16: 0xdc, u32: 0xdd };
export const STR: HeaderKind = { fix: 0xa0, fixMax: 31, u8: 0xd9, u16: 0xda, u32: 0xdb };

/** Bytes of the header of a `kind` of `size` entries (map, array) or bytes (str). */
export function headerLength(kind: HeaderKind, size: number): number {
  if (size <= kind.fixMax) return 1;
  if (kind.u8 !== undefined && size <= 0xff) return 2;
  return size <= 0xffff ? 3 : 5;
}

/** Write that header at `at`; returns the offset after it. */
export function writeHeader(out: Buffer, at: number, kind: HeaderKind, size: number): number {
  if (size <= kind.fixMax) {
    out[at] = kind.fix + size;
    return at + 1;
  }
  if (kind.u8 !== undefined && size <= 0xff) {
    out[at] = kind.u8;
    out[at + 1] = size;
    return at + 2;
  }
  if (size <= 0xffff) {
    out[at] = kind.u16;
    out.writeUInt16BE(size, at + 1);
    return at + 3;
  }
  out[at] = kind.u32;
  out.writeUInt32BE(size, at + 1);
  return at + 5;
}
