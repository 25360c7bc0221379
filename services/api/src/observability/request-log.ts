/**
 * Which requests get a line in the API's log. A line per join, renewal or knock, with its time,
 * would be a timeline of when each person arrived and stayed, even without IDs in it: those
 * routes are only counted, in the aggregate request metrics.
 */

/** Probes and scrapes: frequent, about no one. */
export const OPERATIONS_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** A participant's own steps: fetching the meeting, joining, renewing, knocking, being let in. */
const PARTICIPANT_ROUTE = /^\/v1\/meetings\/:meetingId(\/(join|rejoin|knock|lobby)\/.*)?$/;

/** True when a finished request on `route` (a route pattern) may be written to the log. */
export function logsRequest(route: string): boolean {
  return !OPERATIONS_ROUTES.has(route) && !PARTICIPANT_ROUTE.test(route);
}
