/** Hands a file to the browser as a download (the Data page's exports and backups, the endpoints file). */
export function saveFile(name: string, content: Uint8Array | string, type: string): void {
  // Bytes from the worker arrive in a plain (never shared) ArrayBuffer, which is what Blob takes.
  const part = typeof content === 'string' ? content : (content as Uint8Array<ArrayBuffer>);
  const url = URL.createObjectURL(new Blob([part], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The click starts the download synchronously; the URL is not needed after it.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
