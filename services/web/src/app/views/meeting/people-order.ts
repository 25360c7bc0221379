/**
 * The People panel's order and search (pure): your own entry first, then raised hands, then
 * everyone else by name in the reader's language; a search keeps the names that contain it,
 * ignoring case and accents ("emile" finds "Émile").
 */

/** What ordering and searching need of a roster entry. */
export interface Orderable {
  leaf: number;
  name: string;
  hand: boolean;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** A name or query folded for searching: decomposed (NFD), without combining marks, lower case. */
export function foldName(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

function rank(p: Orderable, ownLeaf: number | undefined): number {
  if (p.leaf === ownLeaf) return 0;
  return p.hand ? 1 : 2;
}

/**
 * The entries to list, in order: those matching `query` (all when it is empty), own entry
 * first, then raised hands, then the rest; by name within each, then by leaf (stable).
 */
export function orderPeople<T extends Orderable>(
  people: Iterable<T>,
  ownLeaf: number | undefined,
  query = '',
): T[] {
  const q = foldName(query.trim());
  const shown = q === '' ? [...people] : [...people].filter((p) => foldName(p.name).includes(q));
  return shown.sort(
    (a, b) => rank(a, ownLeaf) - rank(b, ownLeaf) || collator.compare(a.name, b.name) || a.leaf - b.leaf,
  );
}
