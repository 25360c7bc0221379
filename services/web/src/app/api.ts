/**
 * The meeting API, same origin. Requests never carry the URL fragment: paths are built from
 * the meeting ID only, and fetch runs with no referrer and no credentials.
 */
import {
  computeSrpClientProof,
  createSrpVerifier,
  deriveMeetingSecrets,
  generateHostSecret,
  generatePassword,
} from '@conclave/e2ee';
import type {
  JoinChallenge,
  JoinGranted,
  KnockOpened,
  LobbyState,
  MeetingCreated,
  MeetingInfo,
  RejoinRenewed,
} from '@conclave/protocol';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  hostSecret?: string,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (hostSecret) headers['authorization'] = `Bearer ${hostSecret}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      referrerPolicy: 'no-referrer',
      credentials: 'omit',
      cache: 'no-store',
      ...(signal ? { signal } : {}),
    });
  } catch {
    if (signal?.aborted) throw new ApiError('aborted', 0, 'Cancelled.');
    throw new ApiError('network', 0, 'The server cannot be reached.');
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!res.ok) throw new ApiError(data.error ?? 'internal', res.status, data.message ?? res.statusText);
  return data as T;
}

const meetingPath = (meetingId: string) => `/v1/meetings/${encodeURIComponent(meetingId)}`;

export interface CreatedMeeting {
  meetingId: string;
  password: string;
  hostSecret: string;
}

/**
 * Makes the password and host secret here, registers only the SRP verifier. A scheduled meeting
 * sends its start (no join before it) and its expiry (the server deletes it then), nothing more.
 */
export async function createMeeting(
  options: { permanent?: boolean; startsAt?: string; expiresAt?: string } = {},
): Promise<CreatedMeeting> {
  const hostSecret = generateHostSecret();
  const created = await call<MeetingCreated>('POST', '/v1/meetings', {
    hostSecret,
    ...(options.permanent ? { permanent: true } : {}),
    ...(options.startsAt ? { startsAt: options.startsAt } : {}),
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
  });
  const password = await registerPassword(created.meetingId, hostSecret);
  return { meetingId: created.meetingId, password, hostSecret };
}

async function registerPassword(meetingId: string, hostSecret: string): Promise<string> {
  const password = generatePassword();
  const secrets = await deriveMeetingSecrets(meetingId, password);
  const verifier = await createSrpVerifier(meetingId, secrets.srpSecret);
  await call('PUT', `${meetingPath(meetingId)}/verifier`, verifier, hostSecret);
  return password;
}

/**
 * SRP-6a join: proves the password, checks the server's proof, returns the join token. The host
 * secret, or the rejoin secret of this session's previous join, lets it through a lock.
 */
export async function requestJoin(
  meetingId: string,
  srpSecret: string,
  hostSecret?: string,
  rejoin?: string,
): Promise<JoinGranted> {
  const pass = { ...(hostSecret ? { hostSecret } : {}), ...(rejoin ? { rejoin } : {}) };
  const challenge = await call<JoinChallenge>('POST', `${meetingPath(meetingId)}/join/init`, pass);
  const proof = await computeSrpClientProof(meetingId, srpSecret, challenge);
  const granted = await call<JoinGranted>('POST', `${meetingPath(meetingId)}/join/verify`, {
    state: challenge.state,
    A: proof.A,
    M1: proof.M1,
    ...pass,
  });
  await proof.verifyServer(granted.M2);
  return granted;
}

/** Trades a rejoin secret for a fresh one before it expires. */
export const renewRejoin = (meetingId: string, rejoin: string) =>
  call<RejoinRenewed>('POST', `${meetingPath(meetingId)}/rejoin/renew`, { rejoin });

/** Knocks on a locked meeting: the SRP proof as a join, plus the sealed name for the host. */
export async function knock(meetingId: string, srpSecret: string, sealedName: string): Promise<KnockOpened> {
  const challenge = await call<JoinChallenge>('POST', `${meetingPath(meetingId)}/knock/init`, {});
  const proof = await computeSrpClientProof(meetingId, srpSecret, challenge);
  const opened = await call<KnockOpened>('POST', `${meetingPath(meetingId)}/knock/verify`, {
    state: challenge.state,
    A: proof.A,
    M1: proof.M1,
    sealedName,
  });
  await proof.verifyServer(opened.M2);
  return opened;
}

/** One long poll for the host's answer: the join, or undefined to poll again. */
export const waitForAdmission = (
  meetingId: string,
  knockId: string,
  knockSecret: string,
  signal?: AbortSignal,
) =>
  call<JoinGranted | undefined>(
    'POST',
    `${meetingPath(meetingId)}/knock/${encodeURIComponent(knockId)}/wait`,
    { knockSecret },
    undefined,
    signal,
  );

export const withdrawKnock = (meetingId: string, knockId: string, knockSecret: string) =>
  call<void>('POST', `${meetingPath(meetingId)}/knock/${encodeURIComponent(knockId)}/withdraw`, {
    knockSecret,
  });

/** Host: the open knocks, once they differ from `seen` (or after a long poll). */
export const lobbyWait = (meetingId: string, hostSecret: string, seen: string[], signal?: AbortSignal) =>
  call<LobbyState>('POST', `${meetingPath(meetingId)}/lobby/wait`, { seen }, hostSecret, signal);

export const answerKnock = (meetingId: string, hostSecret: string, knockId: string, admit: boolean) =>
  call<void>(
    'POST',
    `${meetingPath(meetingId)}/lobby/${encodeURIComponent(knockId)}/${admit ? 'admit' : 'deny'}`,
    undefined,
    hostSecret,
  );

export const setLocked = (meetingId: string, hostSecret: string, locked: boolean) =>
  call<MeetingInfo>('PUT', `${meetingPath(meetingId)}/lock`, { locked }, hostSecret);

export const endMeeting = (meetingId: string, hostSecret: string) =>
  call<void>('POST', `${meetingPath(meetingId)}/end`, undefined, hostSecret);

export const meetingInfo = (meetingId: string) => call<MeetingInfo>('GET', meetingPath(meetingId));

/** New ID, new password and host secret; the old link stops working. */
export async function rotateMeeting(meetingId: string, hostSecret: string): Promise<CreatedMeeting> {
  const next = generateHostSecret();
  const rotated = await call<MeetingCreated>(
    'POST',
    `${meetingPath(meetingId)}/rotate`,
    { hostSecret: next },
    hostSecret,
  );
  const password = await registerPassword(rotated.meetingId, next);
  return { meetingId: rotated.meetingId, password, hostSecret: next };
}
