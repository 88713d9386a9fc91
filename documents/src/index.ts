// Public surface of the documents module: issue (render → sign → store), verify, print.
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

export { DocumentStore } from './store/DocumentStore.js';
export type { DocumentRecord } from './store/DocumentRecord.js';
export { verifyPdf, type VerifyPdfOptions } from './verify/verifyPdf.js';
export { VERDICT_MESSAGES, type VerifyReason, type VerifyVerdict } from './verify/VerifyVerdict.js';

export { LOAD_BUDGET, PrintTokens, TOKEN_BUDGET, type PrintStatus } from './print/PrintTokens.js';
export type { PrintEvent } from './print/PrintEvent.js';
export { createVerifyRouter, DocumentNumberSchema, type VerifyRouterDeps } from './http/createVerifyRouter.js';
export {
  createPrintRouter,
  type AuthorizeClerk,
  type AuthorizeCounter,
  type ClerkPrincipal,
  type CounterPrincipal,
  type PrintRouterDeps,
} from './http/createPrintRouter.js';
