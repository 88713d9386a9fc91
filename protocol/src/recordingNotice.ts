// The notice an applicant reads at the counter before anything of them is sent: what is recorded,
// why, who may see it and for how long. Pages render it and the node checks the version the
// applicant agreed to, so the audit chain names the exact wording shown. Browser-safe.

/**
 * The wording's version. Change it with every change of the text below: a counter that still shows
 * an older text is refused (RECORDING_CONSENT_REQUIRED) until it reloads.
 */
export const RECORDING_NOTICE_VERSION = 'rec-notice-2026-12';

/** What the counter shows: a title and short paragraphs in plain Chinese. */
export interface RecordingNotice {
  version: string;
  title: string;
  paragraphs: string[];
}

/** The notice for one serving region and the retention its nodes apply. */
export function recordingNotice(options: { servingRegionName: string; retentionDays: number }): RecordingNotice {
  return {
    version: RECORDING_NOTICE_VERSION,
    title: '办理全程录音录像告知',
    paragraphs: [
      `本次视频办理将由${options.servingRegionName}办理窗口全程录音录像，包括您的画面和声音、高拍仪拍摄的材料，以及工作人员的画面和声音。`,
      '录音录像用于留存办理过程，便于核查办理情况和处理争议，不作其他用途。',
      `只有${options.servingRegionName}的管理人员和办理本件的工作人员可以查看，每次查看都会被记录。`,
      `录音录像保存 ${options.retentionDays} 天，到期自动删除。`,
    ],
  };
}

/** What a refusing applicant is told: the matter can still be handled, in person. */
export function recordingRefusedMessage(servingRegionName: string): string {
  return `本业务须全程录音录像，您未同意，本次不能进行视频办理。您可以到${servingRegionName}政务服务中心现场窗口办理，或请本大厅工作人员帮您联系。`;
}
