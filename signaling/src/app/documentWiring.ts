import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Router } from 'express';
import { DocumentService, DocumentStore, type RemoteDocuments, FontCache, HttpTimestamper, PrintTokens, SignerRegistry, decodePem, verifyPdf } from '@rvw/documents';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { RedisRateLimitStore } from '../auth/RedisRateLimitStore.js';
import { caseFacts } from '../cases/caseFacts.js';
import type { CaseService } from '../cases/CaseService.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import type { Config } from '../config.js';
import { createPrintRoutes } from '../http/documents/printRoutes.js';
import { createVerifyRoutes } from '../http/documents/verifyRoutes.js';
import { issueDocument, previewDocument, type IssueDocumentDeps } from '../issuing/issueDocument.js';
import { DemoPaymentHistory, type PaymentHistorySource } from '../issuing/PaymentHistorySource.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/Metrics.js';
import { routeFactsOf, type Notifications } from '../notifications/Notifications.js';
import { RedisDocumentIndex } from '../store/RedisDocumentIndex.js';
import { RedisPrintLedger } from '../store/RedisPrintLedger.js';
import type { RedisClient } from '../store/redisClient.js';
import type { CaseHandlerDeps } from '../ws/handlers/caseHandlers.js';
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
  /** Files across nodes: a PDF issued on another node is fetched from it to be printed here. */
  files?: RemoteDocuments | undefined;
  /** The node's one notification route (document.issued reaches the case's sides on every node). */
  notifications: Pick<Notifications, 'publish'>;
}

/** Issuing, previewing, verifying and printing documents, as the rest of the node uses them. */
export interface DocumentWiring {
  documents: DocumentService;
  /** The regions' signing keys this node holds (an evidence manifest is signed with the serving region's). */
  signers: SignerRegistry;
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
 * one font parse per process, the Redis adapters of the documents storage ports, the issue and
 * preview use cases, and the verify and print routes.
 */
export async function createDocumentWiring(opts: DocumentWiringOptions): Promise<DocumentWiring> {
  const { config, redis, catalog, cases, metrics, logger, clock } = opts;
  const signers = await SignerRegistry.load({ pkiDir: config.pkiDir });
  const documentStore = new DocumentStore({ index: new RedisDocumentIndex(redis), dataDir: config.dataDir, ...(opts.files ? { remote: opts.files } : {}) });
  const documents = await DocumentService.create({
    fontCache: await FontCache.load(),
    signers,
    store: documentStore,
    publicOrigin: config.http.publicOrigin,
    clock,
    ...(config.tsaUrl ? { timestamper: new HttpTimestamper(config.tsaUrl) } : {}),
  });
  const trustAnchors = decodePem(await readFile(path.join(config.pkiDir, 'ca.pem'), 'utf8'));
  const printTokens = new PrintTokens({ ledger: new RedisPrintLedger(redis) });
  const payments = opts.payments ?? new DemoPaymentHistory();

  const issueDeps: IssueDocumentDeps = {
    cases,
    catalog,
    payments,
    documents,
    clock,
    // After the case took it: whoever follows the case, on whichever node, hears it.
    notifyIssued: (record, doc) =>
      opts.notifications.publish({ type: 'document.issued', caseId: record.id, number: doc.number, docType: doc.type, title: doc.title }, { audience: 'case', caseId: record.id, case: routeFactsOf(record) }),
    onIssued: (type) => metrics.documentsIssued.inc({ type }),
  };

  const routers = [
    createVerifyRoutes({
      store: documentStore,
      verify: (bytes) => verifyPdf(bytes, { trustAnchors, store: documentStore }),
      // Per IP across every node sharing the Redis, so adding nodes does not multiply the budget.
      rateLimit: { windowMs: 60_000, limit: 30, store: new RedisRateLimitStore(redis, 'verify:') },
    }),
    createPrintRoutes({
      resolvePrincipal: opts.resolvePrincipal,
      documents: documentStore,
      printTokens,
      caseFacts: async (caseId) => caseFacts(await cases.getCase(caseId)),
      recordPrint: (event) => cases.recordPrint(event),
      log: logger,
      clock,
    }),
  ];
  return {
    documents,
    signers,
    documentStore,
    issueDocument: (principal, request) => issueDocument(issueDeps, principal, request),
    previewDocument: (principal, record, docType) => previewDocument(issueDeps, principal, record, docType),
    routers,
  };
}
