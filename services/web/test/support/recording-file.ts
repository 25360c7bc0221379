/**
 * A recording as the browser wrote it, read back with Debian's ffprobe and ffmpeg (its streams,
 * length, frames, longest hole in the picture, decode errors, loudness); and a page that records
 * through the private file system, as a browser without a save-file picker does.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import type { TestEnv } from './harness.ts';

const run = promisify(execFile);

/** A page whose browser has no save-file picker: recordings go through the private file system. */
export async function pageWithoutPicker(env: TestEnv): Promise<Page> {
  const page = await env.newPage({ viewport: { width: 900, height: 600 } });
  await page.addInitScript(() => {
    delete (globalThis as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  return page;
}

export async function probeRecording(file: string) {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,codec_name',
    '-of',
    'json',
    file,
  ]);
  const streams = (JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[] }).streams;
  // MediaRecorder's WebM has no duration in its header: the last packet's time is the length.
  const packets = await run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time', '-of', 'csv=p=0', file],
    { maxBuffer: 64 << 20 },
  );
  const rows = packets.stdout
    .split('\n')
    .map((l) => l.split(',').map(Number.parseFloat))
    .filter(([index, time]) => Number.isFinite(index) && Number.isFinite(time));
  const times = rows.map(([, time]) => time!);
  const videoIndex = streams.findIndex((s) => s.codec_type === 'video');
  const videoTimes = rows.filter(([index]) => index === videoIndex).map(([, time]) => time!);
  const videoFrames = videoTimes.length;
  // The picture keeps coming through joins and key changes: no long hole between frames.
  const sorted = [...videoTimes].sort((a, b) => a - b);
  const maxGap = Math.max(...sorted.slice(1).map((t, i) => t - sorted[i]!));
  // `repeat`: every message on its own line, not folded into "Last message repeated".
  const decode = await run('ffmpeg', ['-v', 'repeat+error', '-i', file, '-f', 'null', '-']);
  // Chromium's recorder can stamp two Opus packets with one millisecond time: the null muxer
  // notes it after decoding. That is about timestamps, not a frame that failed to decode.
  const notes = decode.stderr.split('\n').filter((l) => l.trim() !== '');
  const sameTime = /^\[null @ \w+\] Application provided invalid, non monotonically increasing dts/;
  const decodeErrors = notes.filter((l) => !sameTime.test(l)).join('\n');
  const volume = await run('ffmpeg', [
    '-hide_banner',
    '-i',
    file,
    '-map',
    '0:a',
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  const maxVolume = Number(/max_volume: (-?[\d.]+) dB/.exec(volume.stderr)?.[1] ?? Number.NaN);
  return {
    streams,
    duration: Math.max(...times),
    videoFrames,
    maxGap,
    decodeErrors,
    sameTimeNotes: notes.length,
    maxVolume,
  };
}
