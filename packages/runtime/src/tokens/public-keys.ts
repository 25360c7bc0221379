/**
 * The one reading of configured join token public keys: PEM `PUBLIC KEY` blocks, concatenated
 * (several allow the API's key to be rotated). Text around and between the blocks is ignored.
 * Each block comes back trimmed with one final newline, as `createPublicKey` and the API's
 * published key list expect.
 */
export function parseJoinTokenPublicKeys(text: string): string[] {
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  return blocks.map((block) => `${block.trim()}\n`);
}
