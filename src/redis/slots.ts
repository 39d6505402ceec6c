/**
 * Redis Cluster key slots: CRC16 (XMODEM) of the key's hash tag, modulo 16384.
 * Test Connection uses it to write its test key to the node being checked, so a
 * node is tested itself and not through a MOVED redirection.
 */
const SLOTS = 16384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff;
  return crc;
}

/** The slot of a key, honouring `{hash tags}` as Redis does. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close))) % SLOTS;
  }
  return crc16(Buffer.from(key)) % SLOTS;
}

export type SlotRange = readonly [first: number, last: number];

/** The slot ranges of the `myself` line of `CLUSTER NODES`. */
export function slotRangesOf(clusterNodes: string): SlotRange[] {
  const myself = clusterNodes.split('\n').find((line) => line.split(' ')[2]?.includes('myself'));
  if (!myself) return [];
  return myself
    .trim()
    .split(' ')
    .slice(8)
    .filter((field) => /^\d+(-\d+)?$/.test(field))
    .map((field) => {
      const [first, last = first] = field.split('-').map(Number);
      return [first!, last!] as const;
    });
}

/** A short hash tag whose slot falls in `ranges` (the node's own slots). */
export function keyInSlots(ranges: readonly SlotRange[]): string {
  for (let n = 0; n < 100_000; n++) {
    const tag = `t${n}`;
    const slot = keySlot(`{${tag}}`);
    if (ranges.some(([first, last]) => slot >= first && slot <= last)) return tag;
  }
  return 't0';
}
