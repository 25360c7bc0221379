/** Meetings created and joined the way the web client does it, on packages/e2ee. */
import { randomBytes } from 'node:crypto';
import {
  computeSrpClientProof,
  createSrpVerifier,
  deriveMeetingSecrets,
  type MeetingSecrets,
} from '@conclave/e2ee';
import type { TestApi } from '../../../../services/api/test/harness.ts';

export { startApi, storedKey, type TestApi } from '../../../../services/api/test/harness.ts';

export const secret16 = (): string => randomBytes(16).toString('base64url');

export interface RealMeeting {
  meetingId: string;
  hostSecret: string;
  password: string;
  secrets: MeetingSecrets;
}

/** Creates a meeting and registers its verifier as the host's browser does. */
export async function createRealMeeting(t: TestApi): Promise<RealMeeting> {
  const hostSecret = secret16();
  const created = await t.request({ method: 'POST', url: '/v1/meetings', payload: { hostSecret } });
  if (created.statusCode !== 201) throw new Error(`create failed: ${created.statusCode} ${created.body}`);
  const { meetingId } = created.json() as { meetingId: string };
  const password = secret16();
  const secrets = await deriveMeetingSecrets(meetingId, password);
  const verifier = await createSrpVerifier(meetingId, secrets.srpSecret);
  const put = await t.request({
    method: 'PUT',
    url: `/v1/meetings/${meetingId}/verifier`,
    headers: { authorization: `Bearer ${hostSecret}` },
    payload: verifier,
  });
  if (put.statusCode !== 204) throw new Error(`verifier failed: ${put.statusCode} ${put.body}`);
  return { meetingId, hostSecret, password, secrets };
}

export interface Granted {
  token: string;
  role: string;
  sfuUrl: string;
  dsUrl: string;
}

/** The browser's SRP join with the derived SRP secret; returns the verified grant. */
export async function joinMeeting(t: TestApi, meeting: RealMeeting, asHost = false): Promise<Granted> {
  const init = await t.request({ method: 'POST', url: `/v1/meetings/${meeting.meetingId}/join/init` });
  if (init.statusCode !== 200) throw new Error(`init failed: ${init.statusCode} ${init.body}`);
  const { salt, B, state } = init.json() as { salt: string; B: string; state: string };
  const proof = await computeSrpClientProof(meeting.meetingId, meeting.secrets.srpSecret, { salt, B });
  const verify = await t.request({
    method: 'POST',
    url: `/v1/meetings/${meeting.meetingId}/join/verify`,
    payload: { state, A: proof.A, M1: proof.M1, ...(asHost ? { hostSecret: meeting.hostSecret } : {}) },
  });
  if (verify.statusCode !== 200) throw new Error(`verify failed: ${verify.statusCode} ${verify.body}`);
  const body = verify.json() as Granted & { M2: string };
  await proof.verifyServer(body.M2);
  return body;
}

/** The claims of a join token (`cjt1.<claims>.<signature>` or similar): the base64url JSON part. */
export function tokenClaims(token: string): Record<string, unknown> {
  for (const part of token.split('.')) {
    try {
      const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
      if (value && typeof value === 'object' && 'room' in value) return value as Record<string, unknown>;
    } catch {
      // not the claims part
    }
  }
  throw new Error('no claims in token');
}
