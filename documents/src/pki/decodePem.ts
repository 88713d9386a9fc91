/** Every base64 block labelled `label` in a PEM text (e.g. all certificates of a chain file), as DER. */
export function decodePem(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  const pattern = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+?)-----END ${label}-----`, 'g');
  for (const match of pem.matchAll(pattern)) {
    blocks.push(new Uint8Array(Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64')));
  }
  return blocks;
}
