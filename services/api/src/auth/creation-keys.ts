import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { sha256 } from '../http/secrets.ts';

export interface CreationKeyInfo {
  id: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * Operator-issued keys that allow creating meetings when creation is restricted. The key is
 * shown once when minted; only its SHA-256 is stored.
 */
export class CreationKeyStore {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  async mint(label: string): Promise<{ id: string; key: string }> {
    const id = randomBytes(6).toString('hex');
    const key = `ck_${randomBytes(24).toString('base64url')}`;
    await this.#prisma.creationKey.create({ data: { id, label, keyHash: sha256(key) } });
    return { id, key };
  }

  list(): Promise<CreationKeyInfo[]> {
    return this.#prisma.creationKey.findMany({
      select: { id: true, label: true, createdAt: true, revokedAt: true },
      orderBy: { createdAt: 'asc' },
    });
  }

  async revoke(id: string): Promise<boolean> {
    const { count } = await this.#prisma.creationKey.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  /** True when the key exists and is not revoked. The lookup is by hash, so it leaks no timing about the key. */
  async isValid(key: string): Promise<boolean> {
    const found = await this.#prisma.creationKey.findUnique({ where: { keyHash: sha256(key) } });
    return found !== null && found.revokedAt === null;
  }
}
