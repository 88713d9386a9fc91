import { z } from 'zod';

/** Region / item / counter / hall codes: short ASCII identifiers. */
const code = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 of A–Z a–z 0–9 . _ -');
const b64url = (max: number) => z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url').max(max);
const token = z.string().regex(/^[A-Za-z0-9_-]{20,128}$/, 'malformed token');
/** The fields every WebAuthn credential JSON carries, registration and sign-in alike. */
const credentialEnvelope = {
  id: b64url(1024).min(1),
  rawId: b64url(1024).min(1),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

/** Request bodies of the auth HTTP API, validated at the edge (zod). */
export const authSchemas = {
  inviteToken: z.object({ token }),
  registerOptions: z.object({
    token,
    /** Display name; required for a new staff member, ignored when adding a passkey. */
    name: z.string().trim().min(1).max(64).optional(),
  }),
  registerVerify: z.object({
    token,
    response: z.object({
      ...credentialEnvelope,
      response: z.object({
        clientDataJSON: b64url(8192).min(1),
        attestationObject: b64url(65536).min(1),
        authenticatorData: b64url(65536).optional(),
        transports: z.array(z.string().max(32)).max(16).optional(),
        publicKeyAlgorithm: z.number().int().optional(),
        publicKey: b64url(16384).optional(),
      }),
    }),
  }),
  loginVerify: z.object({
    response: z.object({
      ...credentialEnvelope,
      response: z.object({
        clientDataJSON: b64url(8192).min(1),
        authenticatorData: b64url(65536).min(1),
        signature: b64url(4096).min(1),
        userHandle: b64url(512).optional(),
      }),
    }),
  }),
  createInvite: z.union([
    z.object({ role: z.literal('clerk'), regionCode: code, itemCodes: z.array(code).min(1).max(200) }).strict(),
    z.object({ role: z.literal('admin'), regionCodes: z.array(z.union([code, z.literal('*')])).min(1).max(100) }).strict(),
    z.object({ staffId: code }).strict(),
  ]),
  registerCounter: z.object({ counterId: code, hallId: code, regionCode: code, name: z.string().trim().min(1).max(64) }).strict(),
  activateCounter: z.union([z.object({ token }).strict(), z.object({ counterId: code, deviceSecret: token }).strict()]),
  idParam: z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,1024}$/) }),
} as const;
