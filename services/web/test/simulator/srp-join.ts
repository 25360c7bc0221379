/**
 * The SRP-6a join against the meeting API, from a meeting link, as the web client makes it
 * (src/app/api.ts `requestJoin`): the password proof, the server's proof checked, the join
 * token with the DS and SFU addresses.
 */
import {
  computeSrpClientProof,
  deriveMeetingSecrets,
  type MeetingSecrets,
  parseMeetingLink,
} from '@conclave/e2ee';
import type { JoinChallenge, JoinGranted } from '@conclave/protocol';

export interface Joined {
  granted: JoinGranted;
  secrets: MeetingSecrets;
  meetingId: string;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as T & { error?: string; message?: string };
  if (!res.ok)
    throw new Error(`${new URL(url).pathname}: ${res.status} ${data.error ?? ''} ${data.message ?? ''}`);
  return data;
}

/** Joins with the link's password (and host secret, in a host link). */
export async function srpJoin(link: string): Promise<Joined> {
  const { origin, meetingId, password, hostSecret } = parseMeetingLink(link);
  const secrets = await deriveMeetingSecrets(meetingId, password);
  const path = `${origin}/v1/meetings/${encodeURIComponent(meetingId)}`;
  const pass = hostSecret ? { hostSecret } : {};
  const challenge = await post<JoinChallenge>(`${path}/join/init`, pass);
  const proof = await computeSrpClientProof(meetingId, secrets.srpSecret, challenge);
  const granted = await post<JoinGranted>(`${path}/join/verify`, {
    state: challenge.state,
    A: proof.A,
    M1: proof.M1,
    ...pass,
  });
  await proof.verifyServer(granted.M2);
  return { granted, secrets, meetingId };
}
