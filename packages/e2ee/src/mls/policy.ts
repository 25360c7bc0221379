/**
 * What a commit may contain in a Conclave meeting. Checked by every receiver (ts-mls calls this
 * after validating the proposals, before applying them).
 */
import type { IncomingMessageCallback, ProposalWithSender } from 'ts-mls';
import type { ResolvedKeys } from './config.ts';
import { bytesEqual } from './crypto/bytes.ts';

export interface CommitPolicyOutcome {
  /** Why the commit was rejected, if it was. */
  rejection?: string;
  committer?: number;
  adds: ProposalWithSender[];
  removes: number[];
}

export function evaluateCommit(keys: ResolvedKeys, proposals: ProposalWithSender[]): CommitPolicyOutcome {
  const outcome: CommitPolicyOutcome = { adds: [], removes: [] };
  let meetingPsk = false;
  for (const p of proposals) {
    const proposal = p.proposal;
    switch (proposal.proposalType) {
      case 'add':
        outcome.adds.push(p);
        break;
      case 'remove':
        outcome.removes.push(proposal.remove.removed);
        break;
      case 'psk': {
        const id = proposal.psk.preSharedKeyId;
        if (id.psktype !== 'external' || !bytesEqual(id.pskId, keys.pskId) || id.pskNonce.length !== 32) {
          return { ...outcome, rejection: 'PSK proposal other than the meeting PSK' };
        }
        meetingPsk = true;
        break;
      }
      default:
        return {
          ...outcome,
          rejection: `proposal type ${String(proposal.proposalType)} is not used in meetings`,
        };
    }
  }
  if (outcome.adds.length > 0 && !meetingPsk) {
    return { ...outcome, rejection: 'commit adds members without the meeting PSK' };
  }
  return outcome;
}

/** A ts-mls callback applying `evaluateCommit`; the outcome is left in `result()` for the caller. */
export function meetingCommitPolicy(keys: ResolvedKeys): {
  callback: IncomingMessageCallback;
  result: () => CommitPolicyOutcome | undefined;
} {
  let last: CommitPolicyOutcome | undefined;
  return {
    callback(incoming) {
      if (incoming.kind === 'proposal') {
        last = { rejection: 'standalone proposals are not used in meetings', adds: [], removes: [] };
        return 'reject';
      }
      last = { ...evaluateCommit(keys, incoming.proposals), committer: incoming.senderLeafIndex };
      return last.rejection === undefined ? 'accept' : 'reject';
    },
    result: () => last,
  };
}
