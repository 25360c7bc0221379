/** The meeting's chat as plain text, one line per message: UTC time, name, message. */
import type { ChatLine } from '../meeting/types.ts';

export function chatTranscript(meetingId: string, lines: readonly ChatLine[]): string {
  const time = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 19);
  const head = `Chat of meeting ${meetingId}, as seen by this participant (times in UTC)\n\n`;
  // A message's own line breaks are indented so that every new line starts with a time.
  return (
    head + lines.map((l) => `[${time(l.at)}] ${l.from}: ${l.text.replace(/\n/g, '\n    ')}`).join('\n') + '\n'
  );
}
