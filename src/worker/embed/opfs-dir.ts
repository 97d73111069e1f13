/**
 * The model store's directory in the origin-private file system (browsers;
 * needs a secure context). The embedding worker reads the same files through
 * `opfs:` URLs (src/embed-worker/browser-env.ts).
 */
import { OPFS_MODELS_DIR } from '../../shared/embed-protocol';
import type { StoreDir } from './model-store';

const isMissing = (e: unknown) => {
  const name = (e as { name?: unknown })?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
};

async function opfsFolder(segments: string[], create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
  let dir = await navigator.storage.getDirectory();
  for (const name of segments) {
    try {
      dir = await dir.getDirectoryHandle(name, { create });
    } catch (e) {
      if (!create && isMissing(e)) return undefined;
      throw e;
    }
  }
  return dir;
}

/** A file in the origin-private file system, by '/'-separated path from its root; undefined if absent. */
async function opfsFile(path: string): Promise<File | undefined> {
  const segments = path.split('/').filter(Boolean);
  const name = segments.pop();
  if (!name) return undefined;
  const dir = await opfsFolder(segments, false);
  try {
    return dir ? await (await dir.getFileHandle(name)).getFile() : undefined;
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

async function writeOpfsFile(handle: FileSystemFileHandle, bytes: Uint8Array): Promise<void> {
  if ('createWritable' in handle) {
    // Written to a swap file and swapped in on close(): readers never see half a file.
    const writable = await handle.createWritable();
    try {
      await writable.write(bytes as Uint8Array<ArrayBuffer>);
      await writable.close();
    } catch (e) {
      await writable.abort().catch(() => {});
      throw e;
    }
    return;
  }
  // Safari before 26 has no createWritable in workers, only sync access handles.
  const access = await (handle as FileSystemFileHandle & { createSyncAccessHandle(): Promise<FileSystemSyncAccessHandle> }).createSyncAccessHandle();
  try {
    access.truncate(0);
    access.write(bytes as Uint8Array<ArrayBuffer>, { at: 0 });
    access.flush();
  } finally {
    access.close();
  }
}

/** The store's directory in the origin-private file system (browsers; needs a secure context). */
export function opfsDir(root = OPFS_MODELS_DIR): StoreDir {
  return {
    async read(path) {
      const file = await opfsFile(`${root}/${path}`);
      return file ? new Uint8Array(await file.arrayBuffer()) : undefined;
    },
    async write(path, bytes) {
      const segments = `${root}/${path}`.split('/');
      const name = segments.pop()!;
      const dir = (await opfsFolder(segments, true))!;
      await writeOpfsFile(await dir.getFileHandle(name, { create: true }), bytes);
    },
    async remove(name) {
      const dir = await opfsFolder([root], false);
      try {
        await dir?.removeEntry(name, { recursive: true });
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    },
    async list() {
      const dir = await opfsFolder([root], false);
      if (!dir) return [];
      const names: string[] = [];
      for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
      return names;
    },
  };
}
