/**
 * The cluster's copies of issued PDFs (the signaling node passes its NodeFiles): a PDF is stored on
 * the node that signed it, in the clerk's region, and printed at the counter, in the other.
 */
export interface RemoteDocuments {
  /** Records that this node holds the PDF. */
  held(kind: 'document', sha256: string): Promise<void>;
  /** The bytes from a node that holds the PDF, checked against `sha256`; undefined when none does. May throw its own errors. */
  fetch(kind: 'document', sha256: string): Promise<Uint8Array | undefined>;
}
