import { leastLoaded, NODE_TTL_MS, type NodeRegistry, type SfuNodeInfo } from './node-registry.ts';

/**
 * Single-process registry for the embedded mode: the nodes announced in this process (usually
 * the one local SFU). The API and the SFU share one instance.
 */
export class LocalNodeRegistry implements NodeRegistry {
  readonly #nodes = new Map<string, SfuNodeInfo>();
  readonly #rooms = new Map<string, string>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? NODE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  async announce(info: SfuNodeInfo, rooms: string[]): Promise<void> {
    this.#nodes.set(info.id, { ...info, updatedAt: this.#now() });
    for (const room of rooms) this.#rooms.set(room, info.id);
  }

  async withdraw(nodeId: string): Promise<void> {
    this.#nodes.delete(nodeId);
    for (const [room, id] of this.#rooms) if (id === nodeId) this.#rooms.delete(room);
  }

  async list(): Promise<SfuNodeInfo[]> {
    const cutoff = this.#now() - this.#ttlMs;
    for (const [id, node] of this.#nodes) if (node.updatedAt < cutoff) await this.withdraw(id);
    return [...this.#nodes.values()];
  }

  async pickLeastLoaded(): Promise<SfuNodeInfo | undefined> {
    return leastLoaded(await this.list());
  }

  async nodeForRoom(room: string): Promise<SfuNodeInfo | undefined> {
    const nodes = await this.list();
    const current = nodes.find((node) => node.id === this.#rooms.get(room));
    if (current) return current;
    const picked = leastLoaded(nodes);
    if (picked) this.#rooms.set(room, picked.id);
    return picked;
  }

  async close(): Promise<void> {
    this.#nodes.clear();
    this.#rooms.clear();
  }
}
