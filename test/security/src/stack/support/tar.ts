/**
 * The entries of a tar stream (what `docker cp … -` and `tar -c` write): ustar headers, GNU long
 * names and pax path records. Enough to name and read every regular file; nothing is extracted.
 */

export interface TarEntry {
  path: string;
  /** '0' regular file, '5' directory, '2' symlink, … */
  type: string;
  data: Buffer;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function size(header: Buffer): number {
  // GNU base-256 for sizes beyond 8 GiB: high bit set on the first byte.
  if (header[124]! & 0x80) return header.subarray(125, 136).readUIntBE(5, 6);
  return Number.parseInt(field(header, 124, 12).trim() || '0', 8);
}

function paxPath(data: Buffer): string | undefined {
  for (const record of data.toString('utf8').split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

export function tarEntries(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const length = size(header);
    const type = String.fromCharCode(header[156]!) || '0';
    const data = archive.subarray(offset + BLOCK, offset + BLOCK + length);
    offset += BLOCK + Math.ceil(length / BLOCK) * BLOCK;
    if (type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
    else if (type === 'x') longName = paxPath(data) ?? longName;
    else if (type !== 'g') {
      const prefix = field(header, 345, 155);
      const name = field(header, 0, 100);
      entries.push({
        path: longName ?? (prefix ? `${prefix}/${name}` : name),
        type: type === '\0' ? '0' : type,
        data,
      });
      longName = undefined;
    }
  }
  return entries;
}
