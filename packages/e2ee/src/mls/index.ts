/** MLS (RFC 9420) meeting groups for Conclave: suite 0x0001, password-bound credentials and PSK. */
export {
  APP_MESSAGE_KINDS,
  type AppMessage,
  type AppMessageKind,
  decodeAppMessage,
  encodeAppMessage,
  messageText,
  sendApplication,
  textMessage,
} from './application.ts';
export {
  acceptCommit,
  type CommitRequest,
  commitAdd,
  commitRemove,
  commitUpdate,
  createMeetingCommit,
  type PendingCommit,
} from './commit.ts';
export { MEETING_CAPABILITIES, type MeetingKeys } from './config.ts';
export { credentialIsBound, IDENTITY_LENGTH } from './credential.ts';
export { getSuite, SUITE_NAME } from './crypto/ciphersuite.ts';
export {
  epochAuthenticator,
  formatSecurityCode,
  mediaBaseKey,
  securityCode,
  securityCodeBytes,
} from './epoch.ts';
export { isMlsGroupError, type MlsErrorCode, MlsGroupError } from './errors.ts';
export {
  createMeetingGroup,
  type GroupSummary,
  joinFromWelcome,
  type MeetingGroup,
  summarize,
} from './group.ts';
export { createJoiner, type Joiner, type RefusedKeyPackage } from './keyPackage.ts';
export { type Received, receiveMessage } from './receive.ts';
export { decodeMeetingGroup, encodeMeetingGroup } from './state.ts';
export { inspectMessage, type MessageSummary } from './wire.ts';
