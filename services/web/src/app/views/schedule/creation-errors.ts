/** Why a scheduled meeting could not be created, for the host. */
import { ApiError } from '../../api.ts';
import { describeError, type UserError } from '../../errors.ts';

export function describeCreationError(error: unknown): UserError {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'creation_key_required':
        return {
          title: 'This server restricts who creates meetings',
          detail: 'Creating meetings here needs a creation key from the server’s operator.',
        };
      case 'rate_limited':
        return {
          title: 'Too many requests from your network',
          detail: 'Wait a minute and schedule the rest again.',
        };
      case 'invalid_schedule':
        return { title: 'The server refused these dates', detail: error.message };
      case 'network':
        return {
          title: 'The server cannot be reached',
          detail: 'Check your connection and schedule the rest again.',
        };
    }
    return { title: 'The meeting could not be created', detail: error.message };
  }
  return describeError(error);
}
