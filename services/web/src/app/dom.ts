/** A tiny element builder: enough for a handful of views without a framework. */
export type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === 'class') el.className = String(value);
    else if (key in el && !key.includes('-') && typeof value !== 'string') {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
}

export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Announces a message to screen readers through the polite live region. Each message is a line
 * of its own, so that a burst (two people joining at once) is read in full and a repeated
 * message is read again; lines go after a while so that the region stays small.
 */
export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  const line = document.createElement('p');
  line.textContent = text;
  region.appendChild(line);
  while (region.childElementCount > 5) region.firstElementChild?.remove();
  setTimeout(() => line.remove(), 15_000);
}
