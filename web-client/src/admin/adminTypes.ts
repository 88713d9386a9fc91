// What the admin API sends and accepts, taken from the server's own declarations (type-only:
// nothing of the server is bundled into the page, and a schema change breaks this page's build).
export type { Counter, DocumentType, Hall, MaterialRequirement, Partnership, PartnershipOffer, Region, ServiceHours, ServiceItem, ServiceLevel } from '@rvw/signaling/catalog/CatalogTypes';
export type { CounterRecord as Terminal, RegisteredCounter as RegisteredTerminal } from '@rvw/signaling/auth/CounterRegistry';
export type { IssuedInvite, PendingInvite } from '@rvw/signaling/auth/InviteService';
export type { CredentialView, StaffView } from '@rvw/signaling/auth/StaffAdmin';
