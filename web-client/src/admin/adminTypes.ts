// What the admin API sends and accepts, from the protocol package (type-only: no schema is
// bundled into the page, and a contract change breaks this page's build).
export type { Counter, FormField, Hall, MaterialRequirement, Partnership, PartnershipOffer, Region, ServiceHours, ServiceItem } from '@rvw/protocol/catalog';
export type { DocumentType, ServiceLevel } from '@rvw/protocol';
export type { CounterRecord as Terminal, RegisteredCounter as RegisteredTerminal, IssuedInvite, PendingInvite, CredentialView, StaffView } from '@rvw/protocol/admin';
