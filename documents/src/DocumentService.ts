import { randomBytes } from 'node:crypto';
import { DocumentError } from './errors/DocumentError.js';
import { DocumentInputSchema, type DocumentInput, type DocumentInputData } from './DocumentInput.js';
import { FontCache } from './font/FontCache.js';
import type { SignerRegistry } from './pki/SignerRegistry.js';
import { maskPersonName } from './privacy/maskPersonName.js';
import { renderDocument } from './render/renderDocument.js';
import { signPdf } from './signing/signPdf.js';
import type { Timestamper } from './signing/Timestamper.js';
import type { DocumentStore } from './store/DocumentStore.js';
import type { DocumentRecord } from './store/DocumentRecord.js';

/** What {@link DocumentService.issue} returns. */
export interface IssuedDocument {
  number: string;
  /** SHA-256 (hex) of `bytes`. */
  sha256: string;
  /** The signed PDF. */
  bytes: Uint8Array;
  /** Subject CN of the certificate that signed it. */
  signer: string;
  issuedAt: Date;
  record: DocumentRecord;
}

/** Dependencies of the document service; everything is injected. */
export interface DocumentServiceOptions {
  /** Shared font; loaded (once per process) when omitted. */
  fontCache?: FontCache;
  signers: SignerRegistry;
  store: DocumentStore;
  /** Origin of the public verification page, e.g. https://rvw.example.gov.cn. */
  publicOrigin: string;
  clock: () => Date;
  /** RFC 3161 TSA; documents are PAdES-B-T with it, B-B without. */
  timestamper?: Timestamper;
}

/**
 * Issues documents: validate → number → render → sign → store, in one call; with an `accept`
 * step (the case taking the document into its record and audit), store reserved → accept →
 * publish, so a signed PDF becomes verifiable only once its case holds it.
 * The issuing region's key signs; the QR code and footer point at `${publicOrigin}/verify/{number}`.
 */
export class DocumentService {
  private constructor(
    private readonly fonts: FontCache,
    private readonly options: DocumentServiceOptions,
  ) {}

  /** Builds the service, loading the font unless one is given. */
  static async create(options: DocumentServiceOptions): Promise<DocumentService> {
    return new DocumentService(options.fontCache ?? (await FontCache.load()), { ...options, publicOrigin: options.publicOrigin.replace(/\/+$/, '') });
  }

  /**
   * The same layout as {@link issue} would produce, marked 预览 on every page: no number taken,
   * nothing signed or stored. The clerk looks at it before 签章出具.
   */
  async preview(data: DocumentInputData): Promise<{ title: string; bytes: Uint8Array }> {
    const input = parseInput(data);
    const { doc, title } = await renderDocument(input, {
      number: '（签章出具时编号）',
      issuedAt: this.options.clock(),
      verifyUrl: `${this.options.publicOrigin}/verify`,
      fonts: this.fonts,
      preview: true,
    });
    return { title, bytes: await doc.save({ useObjectStreams: false }) };
  }

  /**
   * Issues one document; DOCUMENT_INPUT_INVALID for bad input, SIGNER_NOT_FOUND for a region
   * without key. Callers check everything that can refuse BEFORE calling: from here on a number
   * is used. With `accept`, the stored document stays reserved (nothing finds it) until `accept`
   * resolves, and is withdrawn (PDF deleted, number left as a withdrawn gap) if it throws.
   */
  async issue(data: DocumentInputData, opts: { accept?: (doc: IssuedDocument) => Promise<void> } = {}): Promise<IssuedDocument> {
    const input = parseInput(data);
    const signer = this.options.signers.require(input.region.code);
    const issuedAt = this.options.clock();
    const number = input.number ?? (await this.options.store.allocateNumber(input.region.code, issuedAt));
    // 128 random bits: the public /verify address cannot be guessed from the sequential number.
    const handle = randomBytes(16).toString('base64url');
    const { doc, title, firstPage } = await renderDocument(input, {
      number,
      issuedAt,
      verifyUrl: `${this.options.publicOrigin}/verify/${handle}`,
      fonts: this.fonts,
    });
    const bytes = await signPdf(doc, firstPage, {
      signer,
      signingTime: issuedAt,
      reason: `出具${title}（${number}）`,
      location: input.region.name,
      ...(this.options.timestamper ? { timestamper: this.options.timestamper } : {}),
    });
    const record = await this.options.store.save(
      {
        number,
        handle,
        sample: input.sample,
        caseId: input.caseId,
        type: input.type,
        title,
        issuerRegion: input.region.code,
        issuerRegionName: input.region.name,
        issuerName: input.authority,
        signerSubject: signer.subject,
        issuedAt: issuedAt.toISOString(),
        issuedBy: input.clerk.staffId,
        applicantMasked: maskPersonName(input.applicant.name),
        itemCode: input.item.code,
        itemName: input.item.name,
      },
      bytes,
      { reserve: opts.accept !== undefined },
    );
    const issued: IssuedDocument = { number, sha256: record.sha256, bytes, signer: signer.subject, issuedAt, record };
    if (opts.accept) {
      try {
        await opts.accept(issued);
      } catch (e) {
        await this.options.store.withdraw(record);
        throw e;
      }
      // Should this fail, the case lists a document /verify does not know: refused, never valid.
      await this.options.store.publish(record);
    }
    return issued;
  }
}

function parseInput(data: DocumentInputData): DocumentInput {
  const parsed = DocumentInputSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new DocumentError('DOCUMENT_INPUT_INVALID', `文书内容不完整或格式错误：${problems.join('；')}`, { problems });
  }
  return parsed.data;
}
