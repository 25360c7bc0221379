/** Saves something made in this page as a file on the device: nothing leaves the browser. */
import { h } from './dom.ts';

export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The download reads the file after the click returns (a recording can be large).
  setTimeout(() => URL.revokeObjectURL(url), 120_000);
}
