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
