// AES-256-GCM payload codec: every payload Sluice hands Temporal (workflow inputs with the whole
// spec, params, node outputs, query answers, memo, failure messages) leaves the process encrypted,
// so Temporal's history and anyone who can read it see ciphertext. The whole serialized Payload
// (metadata and data) is encrypted; the envelope says only `binary/encrypted` and the key id.
// It runs outside the workflow sandbox: on the clients and in each worker's main thread.
import crypto from 'node:crypto';
import proto from '@temporalio/proto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PAYLOAD_KEYS_VARIABLE, type PayloadKeyring } from './keys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A payload this codec cannot decrypt: an unknown key id, or data that fails authentication. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
  constructor(
    message: string,
    /** The key id the payload names, if any. */
    readonly keyId: string | null,
  ) {
    super(message);
  }
}

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? text.decode(value) : undefined;
}

/** Whether a payload is this codec's envelope (anything else passes decode unchanged). */
export function isEncrypted(payload: Payload): boolean {
  return metadataText(payload, 'encoding') === ENCRYPTED_ENCODING;
}

// The key id is authenticated too, so an envelope cannot be relabelled to another key's id.
function aad(keyId: string): Buffer {
  return Buffer.from(`sluice-payload-v1:${keyId}`, 'utf8');
}

export class PayloadEncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  /** Encrypts one payload with the first key. */
  encrypt(payload: Payload): Payload {
    const keyId = this.keys.encryptingKeyId;
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.key(keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(keyId));
    const plain = PayloadMessage.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(keyId) },
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  }

  /** Decrypts one envelope; any other payload (e.g. from before encryption was turned on) is returned as is. */
  decrypt(payload: Payload): Payload {
    if (!isEncrypted(payload)) return payload;
    const keyId = metadataText(payload, KEY_ID_METADATA);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA} metadata`, null);
    const key = this.keys.key(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted with key id "${keyId}", which is not in ${PAYLOAD_KEYS_VARIABLE} (known ids: ${this.keys.ids.join(', ')}); add that key back to decrypt it`,
        keyId,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`an encrypted payload (key id "${keyId}") is too short to be one`, keyId);
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return PayloadMessage.decode(plain);
    } catch {
      throw new PayloadDecryptionError(`a payload encrypted with key id "${keyId}" does not decrypt with that key: the key under that id changed, or the data was altered`, keyId);
    }
  }
}
