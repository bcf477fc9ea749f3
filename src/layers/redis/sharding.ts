/**
 * Which Redis host a key lives on when a layer has several. The rule is
 * channels_redis's: CRC-32 of the UTF-8 name, keep the low 12 bits (0..4095),
 * then split that range evenly over the hosts. Using the same rule is what
 * lets a Python and a Node process agree on where a group lives.
 */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (IEEE, as zlib and Python's binascii.crc32) of a string's UTF-8 bytes or of raw bytes. */
export function crc32(value: string | Uint8Array): number {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The host index (0-based) for `name` among `ringSize` hosts.
 *
 * @example shardIndex('room.lobby', 3) // 1, as channels_redis computes it
 */
export function shardIndex(name: string, ringSize: number): number {
  if (ringSize <= 1) return 0;
  const bucket = crc32(name) & 0xfff;
  // Python: int(bucket / (4096 / ring_size)); the same float division keeps edge cases equal.
  return Math.floor(bucket / (4096 / ringSize));
}
