import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** An ASN.1 node that writes fixed DER bytes, duck-typing the asn1js block interface pkijs encodes through. */
class RawDer {
  constructor(private readonly der: ArrayBuffer) {}

  toBER(_sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    if (!writer) return this.der;
    writer.write(this.der);
    return new ArrayBuffer(0);
  }
}

/**
 * A pkijs Certificate that encodes as its original DER bytes. pkijs re-parses and re-encodes a
 * certificate each time a SignedData is serialized (over half the cost of building a CMS here);
 * the original bytes are also the only encoding guaranteed to match the certificate's signature.
 */
export class PreEncodedCertificate extends pkijs.Certificate {
  readonly #raw: RawDer;

  constructor(der: Uint8Array) {
    super({ schema: asn1js.fromBER(der).result });
    this.#raw = new RawDer(der.slice().buffer);
  }

  /** The original DER (as an asn1js-compatible node). */
  override toSchema(): asn1js.Sequence {
    return this.#raw as unknown as asn1js.Sequence;
  }
}
