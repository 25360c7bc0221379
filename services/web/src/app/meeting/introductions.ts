/**
 * Whom a member tells who it is after an epoch (its roster entry, and a recording notice if it
 * records): everyone on its first epoch; on a later epoch that adds people, only the newcomers'
 * DS members, since everyone else already knows (docs/protocol.md), or everyone if the DS has
 * not said who one of them is; nobody on an epoch that adds no one.
 */
export interface Audience {
  /** DS members to address, or undefined for the whole group. */
  to: string[] | undefined;
}

export function introductionAudience(
  first: boolean,
  added: readonly number[],
  memberAt: (leaf: number) => string | undefined,
): Audience | undefined {
  if (first) return { to: undefined };
  if (added.length === 0) return undefined;
  const members = added.map(memberAt);
  return { to: members.every((m) => m !== undefined) ? members : undefined };
}
