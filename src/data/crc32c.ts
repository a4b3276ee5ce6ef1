/**
 * CRC-32C for TFRecord framing. The checksum itself (slicing-by-8 tables, Castagnoli polynomial)
 * and its mask already live with the checkpoint readers, which need the same function for
 * LevelDB tables and tensor bundles; one implementation serves both, this module names what
 * the data code uses.
 */
import { crc32c, hex32, maskCrc32c, unmaskCrc32c } from '../model/weights/crc32c.ts';

export { crc32c, hex32, maskCrc32c, unmaskCrc32c };

/** The masked CRC-32C TFRecord stores after a record's length and after its data. */
export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc32c(crc32c(data));
}
