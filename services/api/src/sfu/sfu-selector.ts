/** Chooses the SFU node for a room; a room stays on the node it was first given. */
export interface SfuSelector {
  urlForRoom(roomId: string): Promise<string>;
}

/** One SFU at a fixed URL: the embedded mode, or a deployment with a single SFU. */
export class StaticSfuSelector implements SfuSelector {
  readonly #url: string;
  constructor(url: string) {
    this.#url = url;
  }
  async urlForRoom(): Promise<string> {
    return this.#url;
  }
}

/** The subset of the SFU node registry the API reads (see @conclave/runtime's registry). */
export interface SfuNodeDirectory {
  nodeForRoom(room: string): Promise<{ url: string } | undefined>;
  close(): Promise<void>;
}

export class NoSfuAvailableError extends Error {
  readonly code = 'unavailable';
}

/**
 * Distributed mode: SFU nodes announce themselves in Redis with a heartbeat; a new room goes to
 * the least-loaded live node and stays there while the room lives.
 */
export class RegistrySfuSelector implements SfuSelector {
  readonly #directory: SfuNodeDirectory;
  constructor(directory: SfuNodeDirectory) {
    this.#directory = directory;
  }
  async urlForRoom(roomId: string): Promise<string> {
    const node = await this.#directory.nodeForRoom(roomId);
    if (!node) throw new NoSfuAvailableError('no SFU node is available');
    return node.url;
  }
}
