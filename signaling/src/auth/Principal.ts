/**
 * Who is acting. Every HTTP route and WebSocket message is authorized for a Principal by the
 * policy module (auth/policy.ts); nothing else decides access.
 */
export type Principal =
  | {
      kind: 'staff';
      role: 'admin';
      staffId: string;
      name: string;
      /** Regions this administrator manages. */
      regionCodes: string[];
    }
  | {
      kind: 'staff';
      role: 'clerk';
      staffId: string;
      name: string;
      /** The clerk's own (serving) region. */
      regionCode: string;
      /** Service item codes the clerk is assigned to handle. */
      itemCodes: string[];
    }
  | {
      kind: 'counter';
      counterId: string;
      hallId: string;
      /** The region of the counter's hall (the applicant's region). */
      regionCode: string;
      name: string;
    }
  | {
      kind: 'anonymous';
      /**
       * Why no staff/counter principal was resolved when credentials were presented, e.g.
       * `AUTH_SESSION_EXPIRED`; absent when the request carried no credentials at all.
       */
      reason?: string;
    };

/** A principal that is a staff member. */
export type StaffPrincipal = Extract<Principal, { kind: 'staff' }>;
