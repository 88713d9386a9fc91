// What the admin API sends and accepts, taken from the server's own declarations (type-only:
// nothing of the server is bundled into the page, and a schema change breaks this page's build).
export type { Counter, DocumentType, Hall, MaterialRequirement, Partnership, PartnershipOffer, Region, ServiceHours, ServiceItem, ServiceLevel } from '../../../signaling/src/catalog/CatalogTypes';
export type { CounterRecord as Terminal, RegisteredCounter as RegisteredTerminal } from '../../../signaling/src/auth/CounterRegistry';
export type { IssuedInvite, PendingInvite } from '../../../signaling/src/auth/InviteService';
export type { CredentialView, StaffView } from '../../../signaling/src/auth/StaffAdmin';
