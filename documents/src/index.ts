// Public surface of the documents module: issue (render → sign → store), verify, print.
// Everything else under documents/src is internal and may change without notice.

export { DocumentService, type DocumentServiceOptions, type IssuedDocument } from './DocumentService';
export { DocumentInputSchema, type DocumentInput, type DocumentInputData, type DocumentType, type PaymentRowInput } from './DocumentInput';
export { FontCache, DEFAULT_FONT_PATH } from './font/FontCache';

export type { Signer, SignRequest } from './pki/Signer';
export { RegionSigner } from './pki/RegionSigner';
export { SignerRegistry } from './pki/SignerRegistry';
export { decodePem } from './pki/decodePem';
export type { Timestamper } from './signing/Timestamper';
export { HttpTimestamper } from './signing/HttpTimestamper';

export { DocumentStore } from './store/DocumentStore';
export type { DocumentRecord } from './store/DocumentRecord';
export { verifyPdf, type VerifyPdfOptions } from './verify/verifyPdf';
export { VERDICT_MESSAGES, type VerifyReason, type VerifyVerdict } from './verify/VerifyVerdict';

export { LOAD_BUDGET, PrintTokens, TOKEN_BUDGET, type PrintStatus } from './print/PrintTokens';
export type { PrintEvent } from './print/PrintEvent';
export { createVerifyRouter, DocumentNumberSchema, type VerifyRouterDeps } from './http/createVerifyRouter';
export {
  createPrintRouter,
  type AuthorizeClerk,
  type AuthorizeCounter,
  type ClerkPrincipal,
  type CounterPrincipal,
  type PrintRouterDeps,
} from './http/createPrintRouter';
