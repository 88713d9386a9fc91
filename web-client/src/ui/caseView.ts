/** The parts of a case view (as the server sends it, masked for the viewer) that pages render. */
export interface CaseViewLike {
  id: string;
  /** Human case number (办件编号), e.g. 341522-20261204-0007; shown instead of `id`. */
  number?: string;
  version: number;
  state: string;
  itemCode: string;
  itemName: string;
  servingRegion: string;
  applicantRegion: string;
  applicant: { name: string; idNumber: string; phone?: string };
  fields: Record<string, string>;
  checklist: { materialId: string; name: string; mandatory: boolean; status: 'missing' | 'provided' | 'waived'; blobSha256?: string; waiver?: { note: string; deadline: string } }[];
  materials: { sha256: string; kind: string; mime: string; name: string; materialId?: string; capturedAt: string }[];
  documents: { number: string; type: string; sha256: string; issuedAt: string; sample?: boolean; printLog?: { event: string; at: string; outcome?: string }[] }[];
  chat: { at: string; by: string; role: string; text: string }[];
  ratings?: { clerk?: { score: number }; counter?: { score: number } };
  createdAt: string;
  queue?: { position: number; estimatedWaitSeconds: number };
  applicantSignatureSha256?: string;
}

/** Chinese names of case states. */
export const STATE_LABELS: Record<string, string> = {
  queued: '排队中',
  in_session: '办理中',
  pending_materials: '待补正材料',
  completed: '已办结',
  rejected: '不予受理',
  abandoned: '已离开队列',
  suspended: '已挂起',
};

/** States after which nothing more is done on a case. */
export const FINAL_STATES: readonly string[] = ['completed', 'rejected', 'abandoned'];

/** Chinese names of material kinds. */
export const MATERIAL_KINDS: Record<string, string> = { document_camera: '高拍仪拍照', signature: '申请人签名', upload: '上传文件' };

/** Chinese names of document types. */
export const DOC_LABELS: Record<string, string> = {
  receipt: '受理回执',
  missing_notice: '容缺受理告知书',
  payment_certificate: '参保缴费证明',
  completion_notice: '办结通知书',
};

/** Chinese names of checklist states. */
export const MATERIAL_STATUS: Record<string, string> = { missing: '未提交', provided: '已提交', waived: '容缺' };
