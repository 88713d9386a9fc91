/** ffprobe/ffmpeg checks of a recorded file (what a person checking a recording would run). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedFile {
  streams: { codec_type: string; codec_name: string }[];
  durationS: number;
  firstVideoPacket: { flags: string; pts_time: string } | null;
  decodeErrors: string;
}

export async function probeRecording(file: string): Promise<ProbedFile> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[]; format: { duration?: string } };
  let firstVideoPacket: ProbedFile['firstVideoPacket'] = null;
  if (info.streams.some((s) => s.codec_type === 'video')) {
    const p = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'packet=flags,pts_time', '-of', 'json', file]);
    firstVideoPacket = (JSON.parse(p.stdout) as { packets: { flags: string; pts_time: string }[] }).packets[0] ?? null;
  }
  // `ffmpeg -v error -i f -f null -` prints nothing for a file that decodes cleanly.
  const d = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
  return { streams: info.streams, durationS: Number(info.format.duration ?? 'NaN'), firstVideoPacket, decodeErrors: (d.stdout + d.stderr).trim() };
}

/** Video packets (= frames for VP8) in the file. */
export async function countVideoPackets(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}
