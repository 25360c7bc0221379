/**
 * Whose media a consumer may show. The SFU says which peer a producer belongs to, but a
 * compromised SFU could relabel Alice's producer as Bob's; every member holds every member's
 * media keys, so such frames would decrypt. The sender a consumer shows is therefore taken from
 * the MLS roster instead: the leaf whose own roster message (signed by that leaf in MLS) names
 * the consumer's SFU peer, and the consumer's source. The frame transform drops every frame
 * whose SFrame KID names another leaf or source.
 */
import type { FrameSender } from '@conclave/e2ee';

export interface RosterClaim {
  leaf: number;
  peerId: string;
}

/**
 * The sender for a consumer of `peerId`'s `source`: the one leaf whose roster entry names that
 * peer. None while no leaf names it yet; none either when several do (a member claiming another
 * member's peer): neither claim can be told from the other, so nothing is shown rather than
 * trusting whoever spoke first.
 */
export function senderFor(
  roster: Iterable<RosterClaim>,
  peerId: string,
  source: FrameSender['context'],
): FrameSender | null {
  let leaf: number | undefined;
  for (const entry of roster) {
    if (!peerId || entry.peerId !== peerId) continue;
    if (leaf !== undefined) return null;
    leaf = entry.leaf;
  }
  return leaf === undefined ? null : { leafIndex: leaf, context: source };
}

/** One key per binding, to tell when a consumer's binding changed. */
export function bindingKey(sender: FrameSender | null): string {
  return sender ? `${sender.leafIndex}/${sender.context}` : '';
}
