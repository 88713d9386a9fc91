import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Request, Router } from 'express';
import {
  DocumentService,
  DocumentStore,
  FontCache,
  HttpTimestamper,
  PrintTokens,
  SignerRegistry,
  createPrintRouter,
  createVerifyRouter,
  decodePem,
  verifyPdf,
  type IssuedDocument,
  type PrintEvent,
} from '@rvw/documents';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { authorize } from '../auth/policy.js';
import { RedisRateLimitStore } from '../auth/RedisRateLimitStore.js';
import type { CaseService } from '../cases/CaseService.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import type { Config } from '../config.js';
import { AppError } from '../errors/AppError.js';
import { buildDocumentInput } from '../issuing/buildDocumentInput.js';
import { DemoPaymentHistory, type PaymentHistorySource } from '../issuing/PaymentHistorySource.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/Metrics.js';
import type { RedisClient } from '../store/redisClient.js';
import { caseFacts, type CaseHandlerDeps } from '../ws/handlers/caseHandlers.js';
import type { CaseFilesRouterDeps } from './createCaseFilesRouter.js';

/** Options for {@link createDocumentWiring}. */
export interface DocumentWiringOptions {
  config: Readonly<Config>;
  redis: RedisClient;
  catalog: CatalogStore;
  cases: CaseService;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  /** The social-insurance records interface (demo stand-in by default). */
  payments?: PaymentHistorySource;
  resolvePrincipal: ResolvePrincipal;
}

/** Issuing, previewing, verifying and printing documents, as the rest of the node uses them. */
export interface DocumentWiring {
  documents: DocumentService;
  documentStore: DocumentStore;
  /** What the `document.issue` handler calls. */
  issueDocument: CaseHandlerDeps['issueDocument'];
  /** The unsigned preview of a document for a case. */
  previewDocument: CaseFilesRouterDeps['previewDocument'];
  /** /verify and the print routes, in mounting order. */
  routers: Router[];
}

/**
 * Every part of the document workflow a node wires: per-region signers from the PKI directory,
 * one font parse per process, the issue and preview closures, and the verify and print routes.
 */
export async function createDocumentWiring(opts: DocumentWiringOptions): Promise<DocumentWiring> {
  const { config, redis, catalog, cases, metrics, logger, clock } = opts;
  const signers = await SignerRegistry.load({ pkiDir: config.pkiDir });
  const documentStore = new DocumentStore(redis, config.dataDir);
  const documents = await DocumentService.create({
    fontCache: await FontCache.load(),
    signers,
    store: documentStore,
    publicOrigin: config.http.publicOrigin,
    clock,
    ...(config.tsaUrl ? { timestamper: new HttpTimestamper(config.tsaUrl) } : {}),
  });
  const trustAnchors = decodePem(await readFile(path.join(config.pkiDir, 'ca.pem'), 'utf8'));
  const printTokens = new PrintTokens(redis);
  const payments = opts.payments ?? new DemoPaymentHistory();

  const issueDocument: DocumentWiring['issueDocument'] = async (principal, record, docType, accept) => {
    const input = await buildDocumentInput({ catalog, payments, clock }, principal, record, docType);
    const refOf = (d: IssuedDocument) => ({ number: d.number, type: docType, sha256: d.sha256, signer: d.signer, title: d.record.title, sample: d.record.sample });
    // Reserved until the case took it (record entry + audit event), then published.
    const issued = await documents.issue(input, { accept: (d) => accept(refOf(d)) });
    metrics.documentsIssued.inc({ type: docType });
    return refOf(issued);
  };
  const previewDocument: DocumentWiring['previewDocument'] = async (principal, record, docType) =>
    documents.preview(await buildDocumentInput({ catalog, payments, clock }, principal, record, docType));

  const onPrintEvent = async (event: PrintEvent) => {
    await cases.recordPrint(event).catch((err: Error) => logger.warn({ err: err.message, number: event.number }, 'print event not recorded'));
  };
  const principalOfCase = async (req: Request, caseId: string, action: 'case.read' | 'document.issue') => {
    const principal = await opts.resolvePrincipal(req);
    const record = await cases.getCase(caseId);
    authorize(principal, action, { case: caseFacts(record) });
    return principal;
  };
  const routers = [
    createVerifyRouter({
      store: documentStore,
      verify: (bytes) => verifyPdf(bytes, { trustAnchors, store: documentStore }),
      // Per IP across every node sharing the Redis, so adding nodes does not multiply the budget.
      rateLimit: { windowMs: 60_000, limit: 30, store: new RedisRateLimitStore(redis, 'verify:') },
    }),
    createPrintRouter({
      store: documentStore,
      printTokens,
      onPrintEvent,
      clock,
      authorizeCounter: async (req, doc) => {
        const p = await principalOfCase(req, doc.caseId, 'case.read');
        if (p.kind !== 'counter') throw new AppError('FORBIDDEN', '只有申请地窗口终端可以打印', 403);
        return p;
      },
      authorizeClerk: async (req, doc) => {
        const p = await principalOfCase(req, doc.caseId, 'document.issue');
        if (p.kind !== 'staff' || p.role !== 'clerk') throw new AppError('FORBIDDEN', '只有出具文书的工作人员可以批准重新打印', 403);
        return p;
      },
    }),
  ];
  return { documents, documentStore, issueDocument, previewDocument, routers };
}
