/**
 * Where a recording's chunks go as they come, so that an hour stays out of memory: a file the
 * person picks (File System Access API), else a file in the origin's private file system (OPFS,
 * on disk; downloaded at the end, then deleted), else — only where neither exists — memory.
 */

export type SinkKind = 'picked' | 'private' | 'memory';

export interface RecordingSink {
  kind: SinkKind;
  /** The file's name as offered for download. */
  name: string;
  write(chunk: Blob): Promise<void>;
  /** Closes the file; returns what is still to be downloaded (nothing for a picked file). */
  finish(): Promise<Blob | undefined>;
  /** Drops a recording that never started (its file is removed). */
  discard(): Promise<void>;
}

type SavePicker = (options: {
  suggestedName: string;
  types: { description: string; accept: Record<string, string[]> }[];
}) => Promise<FileSystemFileHandle>;

const PRIVATE_PREFIX = 'recording-';
/** Private files older than this are left from a closed or crashed page (none records a day). */
const STALE_MS = 24 * 3600_000;

/**
 * With `pick`, called straight from the click (the picker needs the gesture). A cancelled picker
 * falls back to the private file system, as a browser without the picker does.
 */
export async function openSink(name: string, mimeType: string, pick: boolean): Promise<RecordingSink> {
  const picker = (globalThis as unknown as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
  if (picker && pick) {
    try {
      const handle = await picker.call(globalThis, {
        suggestedName: name,
        types: [{ description: 'WebM video', accept: { [mimeType.split(';')[0]!]: ['.webm'] } }],
      });
      return streamSink('picked', name, handle, await handle.createWritable());
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'AbortError')) console.warn(error);
    }
  }
  const root = await navigator.storage?.getDirectory?.().catch(() => undefined);
  if (root) {
    await sweep(root);
    const handle = await root.getFileHandle(`${PRIVATE_PREFIX}${Date.now()}.webm`, { create: true });
    // Safari has no createWritable on private files; it falls through to memory.
    if (typeof handle.createWritable === 'function')
      return streamSink('private', name, handle, await handle.createWritable(), root);
  }
  return memorySink(name, mimeType);
}

function streamSink(
  kind: 'picked' | 'private',
  name: string,
  handle: FileSystemFileHandle,
  writable: FileSystemWritableFileStream,
  root?: FileSystemDirectoryHandle,
): RecordingSink {
  // Chunks are written one after the other: the recorder may hand over the next before the
  // previous is on disk.
  let queue = Promise.resolve();
  const remove = () => (root ? root.removeEntry(handle.name).catch(() => {}) : Promise.resolve());
  return {
    kind,
    // A picked file is named by the person.
    name: kind === 'picked' ? handle.name : name,
    write(chunk) {
      queue = queue.then(() => writable.write(chunk));
      return queue;
    },
    async finish() {
      await queue;
      await writable.close();
      if (kind === 'picked') return undefined;
      // A File from the private file system is read from disk, not held in memory.
      const file = await handle.getFile();
      // Deleted once the download has surely read it; a crash before leaves it to `sweep`.
      setTimeout(() => void remove(), 120_000);
      return file;
    },
    async discard() {
      await writable.abort().catch(() => {});
      if (root) await remove();
      else await (handle as unknown as { remove?: () => Promise<void> }).remove?.().catch(() => {});
    },
  };
}

function memorySink(name: string, mimeType: string): RecordingSink {
  let chunks: Blob[] = [];
  return {
    kind: 'memory',
    name,
    async write(chunk) {
      chunks.push(chunk);
    },
    async finish() {
      const blob = new Blob(chunks, { type: mimeType });
      chunks = [];
      return blob;
    },
    async discard() {
      chunks = [];
    },
  };
}

/** Recordings a closed or crashed page left in the private file system. */
async function sweep(root: FileSystemDirectoryHandle): Promise<void> {
  const entries = (root as unknown as { keys(): AsyncIterable<string> }).keys();
  const stale: string[] = [];
  for await (const key of entries) {
    const at = Number(key.slice(PRIVATE_PREFIX.length, -'.webm'.length));
    if (key.startsWith(PRIVATE_PREFIX) && Date.now() - at > STALE_MS) stale.push(key);
  }
  for (const key of stale) await root.removeEntry(key).catch(() => {});
}
