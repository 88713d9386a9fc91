// Public surface of the documents module: issue (render → sign → store), verify, print, and the
// storage ports (DocumentIndex, PrintLedger) its host implements. No transport, no access
// decisions: the host (signaling) authorizes, stores, and maps DocumentError to its wire.
// Everything else under documents/src is internal and may change without notice.

export { DocumentService, type DocumentServiceOptions, type IssuedDocument } from './DocumentService.js';
export { DocumentInputSchema, type DocumentInput, type DocumentInputData, type DocumentType, type PaymentRowInput } from './DocumentInput.js';
export { FontCache, DEFAULT_FONT_PATH } from './font/FontCache.js';
export { DOCUMENT_ERROR_CODES, DocumentError, type DocumentErrorCode } from './errors/DocumentError.js';

export type { Signer, SignRequest } from './pki/Signer.js';
export { RegionSigner } from './pki/RegionSigner.js';
export { SignerRegistry } from './pki/SignerRegistry.js';
export { decodePem } from './pki/decodePem.js';
export type { Timestamper } from './signing/Timestamper.js';
export { HttpTimestamper } from './signing/HttpTimestamper.js';

export { DocumentStore, type DocumentStoreOptions } from './store/DocumentStore.js';
export type { DocumentIndex, DocumentPointer, DocumentState, IndexedDocument } from './store/DocumentIndex.js';
export type { DocumentRecord } from './store/DocumentRecord.js';
export type { RemoteDocuments } from './store/RemoteDocuments.js';
export { DocumentHandleSchema, DocumentNumberSchema } from './DocumentIds.js';
export { verifyPdf, type VerifyPdfOptions } from './verify/verifyPdf.js';
export { VERDICT_MESSAGES, type VerifyReason, type VerifyVerdict } from './verify/VerifyVerdict.js';

export { LOAD_BUDGET, PrintTokens, TOKEN_BUDGET, type PrintTokensOptions } from './print/PrintTokens.js';
export type { PrintLedger, PrintStatus, PrintTokenBinding, TokenRefusal } from './print/PrintLedger.js';
export type { PrintEvent } from './print/PrintEvent.js';
