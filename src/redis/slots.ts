/**
 * Redis Cluster key slots, for Test Connection (to write its test key to the node
 * being checked, so a node is tested itself and not through a MOVED redirection)
 * and the cluster connection (to name the node a key lives on). The slot itself
 * is `cluster-key-slot`'s, the library node-redis uses; what is here reads a node's
 * own slots from `CLUSTER NODES` and finds a hash tag that falls in them, which
 * the library does not do.
 */
import calculateSlot from 'cluster-key-slot';

/** The slot of a key, honouring `{hash tags}` as Redis does. */
export function keySlot(key: string): number {
  return calculateSlot(key);
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
