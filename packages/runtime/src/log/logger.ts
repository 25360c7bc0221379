import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Fields a log line may carry. Everything else is dropped at the source, so a careless
 * `log.info({ req })` cannot leak an IP address, a user agent, a name or a token.
 * Adding a field here is a privacy decision: it must never identify a person or a meeting.
 */
export const LOG_FIELD_ALLOW_LIST = new Set([
  'service',
  'event',
  'route',
  'method',
  'status',
  'ms',
  'code',
  'count',
  'reason',
  'port',
  'host',
  'mode',
  'version',
  'workers',
  'pid',
  'signal',
  'kind',
  'err',
]);

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout when omitted. Tests pass a capture stream. */
  destination?: DestinationStream;
}

/** Serializes errors without request context: type, code and message only. */
function errorSerializer(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      // No hostname: in some deployments it names a person's machine.
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: errorSerializer },
      formatters: {
        log(object) {
          const kept: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object)) {
            // Serializers (err) have already run by the time this formatter sees the object.
            if (LOG_FIELD_ALLOW_LIST.has(key)) kept[key] = value;
          }
          return kept;
        },
      },
    },
    options.destination,
  );
}

export type { Logger };
