import { createHmac, randomBytes } from 'node:crypto';

export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

/**
 * Short-lived TURN credentials in coturn's shared-secret ("TURN REST") scheme: the username is
 * `<expiry unix seconds>:<random>`, the password base64(HMAC-SHA1(secret, username)). coturn
 * checks both without calling back, so no long-lived TURN password exists and the random part
 * links the credential to nobody.
 */
export class TurnCredentials {
  readonly #secret: string;
  readonly #urls: string[];
  readonly #ttlSeconds: number;

  constructor(secret: string, urls: string[], ttlSeconds: number) {
    this.#secret = secret;
    this.#urls = urls;
    this.#ttlSeconds = ttlSeconds;
  }

  issue(now: number = Date.now()): IceServer {
    const username = `${Math.floor(now / 1000) + this.#ttlSeconds}:${randomBytes(9).toString('base64url')}`;
    const credential = createHmac('sha1', this.#secret).update(username).digest('base64');
    return { urls: this.#urls, username, credential };
  }
}
