/**
 * How SFU nodes find each other and how the API picks one for a room. Both sides depend on
 * this package; the API does not depend on the SFU.
 */

/** What a node publishes about itself on every heartbeat. */
export interface SfuNodeInfo {
  id: string;
  /** WebSocket URL clients use (goes into the join token's `sfu` claim). */
  url: string;
  /** Peers on the node divided by its capacity estimate, 0..1+ ; lower is better. */
  load: number;
  rooms: number;
  peers: number;
  workers: number;
  /** A draining node takes no new rooms. */
  draining: boolean;
  /** Milliseconds since the epoch of the last heartbeat. */
  updatedAt: number;
}

/** The API's side: read nodes and place rooms. */
export interface NodeRegistryReader {
  /** Live nodes (heartbeat not expired). */
  list(): Promise<SfuNodeInfo[]>;
  /** The live, non-draining node with the lowest load, or undefined when none. */
  pickLeastLoaded(): Promise<SfuNodeInfo | undefined>;
  /**
   * The node hosting `room`, placing it on the least loaded node if it has none yet.
   * Everyone in a room must reach the same node (until cross-node cascading exists).
   */
  nodeForRoom(room: string): Promise<SfuNodeInfo | undefined>;
}

/** The SFU's side: publish this node and keep its rooms claimed. */
export interface NodeRegistry extends NodeRegistryReader {
  /** Publishes (or refreshes) a node; it disappears `ttlMs` after its last heartbeat. */
  announce(info: SfuNodeInfo, rooms: string[]): Promise<void>;
  /** Removes a node at once (clean shutdown). */
  withdraw(nodeId: string): Promise<void>;
  close(): Promise<void>;
}

export const NODE_TTL_MS = 15_000;
export const HEARTBEAT_MS = 5_000;

export function leastLoaded(nodes: SfuNodeInfo[]): SfuNodeInfo | undefined {
  let best: SfuNodeInfo | undefined;
  for (const node of nodes) {
    if (node.draining) continue;
    if (!best || node.load < best.load || (node.load === best.load && node.peers < best.peers)) best = node;
  }
  return best;
}
