const DAY_MS = 86_400_000;

/** Midnight (UTC) of the day `days` after the one `now` falls on. */
function utcDay(now: Date, days = 0): Date {
  return new Date((Math.floor(now.getTime() / DAY_MS) + days) * DAY_MS);
}

/**
 * When an unused permanent room goes (CONCLAVE_PERMANENT_ROOM_IDLE_DAYS). A room keeps one
 * coarse date, `idle_until`: the day it is deleted after, unless someone joins before. A join
 * moves it to today + IDLE_DAYS, but only when it is more than a day short of that, so the row
 * is written at most every other day and never holds a time: it tells roughly when the room was
 * last used, not who joined or when. 0 days: rooms never idle out and no date is kept at all.
 */
export class RoomIdleness {
  readonly days: number;

  constructor(days: number) {
    this.days = days;
  }

  get enabled(): boolean {
    return this.days > 0;
  }

  /** The date a permanent room gets when it is created or joined now; null when rooms never idle out. */
  until(now = new Date()): Date | null {
    return this.enabled ? utcDay(now, this.days) : null;
  }

  /** A join rewrites a stored date only when it is before this day (more than a day short). */
  rewriteBefore(now = new Date()): Date {
    return utcDay(now, this.days - 1);
  }

  /** Rooms whose date is before today have gone unused for IDLE_DAYS. */
  idleBefore(now = new Date()): Date {
    return utcDay(now);
  }

  /** When the daily removal runs next: just after the coming midnight (UTC). */
  nextCheck(now = new Date()): Date {
    return new Date(utcDay(now, 1).getTime() + 60_000);
  }
}
