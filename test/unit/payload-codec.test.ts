// Payload encryption without a server: SLUICE_PAYLOAD_KEYS parsing (clear errors that never echo
// a key), the AES-256-GCM codec (envelope, rotation, unknown ids, tampering), and the failure
// converter that moves messages into an encrypted payload while the failure type stays readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../src/config.js';
import { parsePayloadKeys, PayloadKeyring } from '../../src/codec/keys.js';
import { ENCRYPTED_ENCODING, isEncrypted, KEY_ID_METADATA, PayloadDecryptionError, PayloadEncryptionCodec } from '../../src/codec/codec.js';
import { failureConverter } from '../../src/codec/failure-converter.js';

const k0 = crypto.randomBytes(32).toString('base64');
const k1 = crypto.randomBytes(32).toString('base64');

function keyring(text: string): PayloadKeyring {
  const parsed = parsePayloadKeys(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.keyring;
}

function configError(value: string): string {
  try {
    loadConfig({ SLUICE_PAYLOAD_KEYS: value });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

const meta = (p: Payload, key: string): string | undefined => (p.metadata?.[key] ? Buffer.from(p.metadata[key]).toString() : undefined);

test('SLUICE_PAYLOAD_KEYS: the first key encrypts, all decrypt; blank or unset means no encryption', () => {
  const config = loadConfig({ SLUICE_PAYLOAD_KEYS: ` kid1:${k1} , kid0:${k0}` });
  assert.equal(config.SLUICE_PAYLOAD_KEYS?.encryptingKeyId, 'kid1');
  assert.deepEqual(config.SLUICE_PAYLOAD_KEYS?.ids, ['kid1', 'kid0']);
  assert.equal(loadConfig({}).SLUICE_PAYLOAD_KEYS, undefined);
  assert.equal(loadConfig({ SLUICE_PAYLOAD_KEYS: '  ' }).SLUICE_PAYLOAD_KEYS, undefined);
  // base64url keys are accepted too.
  assert.equal(keyring(`u:${crypto.randomBytes(32).toString('base64url')}`).ids[0], 'u');
});

test('SLUICE_PAYLOAD_KEYS errors name the variable and the entry, never the key', () => {
  const short = crypto.randomBytes(16).toString('base64');
  const cases: [string, RegExp, string[]][] = [
    [k0, /entry 1: expected <key id>:<base64 key>/, [k0]],
    [`kid0:${short}`, /key id kid0: the key must be 32 bytes \(AES-256\), not 16/, [short]],
    [`kid0:${k0},kid0:${k1}`, /key id kid0: appears more than once/, [k0, k1]],
    [`kid0:not base64!!`, /key id kid0: the key is not base64/, ['not base64!!']],
    [`bad id:${k0}`, /entry 1: the key id must be 1 to 64 letters/, [k0]],
    [`kid0:${k0},`, /entry 2: expected <key id>:<base64 key>/, [k0]],
  ];
  for (const [value, expected, secrets] of cases) {
    const message = configError(value);
    assert.match(message, /SLUICE_PAYLOAD_KEYS: /, message);
    assert.match(message, expected, message);
    for (const s of secrets) assert.ok(!message.includes(s), `the error echoes key material: ${message}`);
  }
});

test('a keyring prints and serializes as its key ids only', () => {
  const keys = keyring(`kid1:${k1},kid0:${k0}`);
  const shown = `${inspect(keys)} ${JSON.stringify(keys)} ${inspect({ keys }, { depth: 5 })}`;
  assert.match(shown, /kid1/);
  for (const k of [k0, k1, Buffer.from(k0, 'base64').toString('hex')]) assert.ok(!shown.includes(k), shown);
});

test('the codec encrypts the whole payload with the first key and decodes it back', async () => {
  const codec = new PayloadEncryptionCodec(keyring(`kid1:${k1},kid0:${k0}`));
  const plain = defaultPayloadConverter.toPayload({ table: 'dw.secret_orders', query: 'select 1' });
  const [enc] = await codec.encode([plain]);
  assert.ok(enc && isEncrypted(enc));
  assert.equal(meta(enc, 'encoding'), ENCRYPTED_ENCODING);
  assert.equal(meta(enc, KEY_ID_METADATA), 'kid1');
  assert.deepEqual(Object.keys(enc.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA].sort());
  assert.ok(!Buffer.from(enc.data!).toString('latin1').includes('secret_orders'));
  assert.ok(!Buffer.from(enc.data!).toString('latin1').includes('json/plain'), 'the inner metadata is encrypted too');
  const [dec] = await codec.decode([enc]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(dec!), { table: 'dw.secret_orders', query: 'select 1' });
  // Two encryptions of the same payload differ (fresh IV each time).
  const [again] = await codec.encode([plain]);
  assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(enc.data!));
});

test('rotation: a new first key still decodes payloads of the old one; an unknown key id fails clearly', async () => {
  const before = new PayloadEncryptionCodec(keyring(`kid0:${k0}`));
  const [old] = await before.encode([defaultPayloadConverter.toPayload('from before the rotation')]);
  const after = new PayloadEncryptionCodec(keyring(`kid1:${k1},kid0:${k0}`));
  assert.equal(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!), 'from before the rotation');
  assert.equal(meta((await after.encode([defaultPayloadConverter.toPayload(1)]))[0]!, KEY_ID_METADATA), 'kid1');

  const without = new PayloadEncryptionCodec(keyring(`kid1:${k1}`));
  await assert.rejects(without.decode([old!]), (err: unknown) => {
    assert.ok(err instanceof PayloadDecryptionError);
    assert.equal(err.keyId, 'kid0');
    assert.match(err.message, /key id "kid0", which is not in SLUICE_PAYLOAD_KEYS \(known ids: kid1\)/);
    return true;
  });
});

test('tampered data, a relabelled key id, or a different key under the same id fail; plain payloads pass through', async () => {
  const codec = new PayloadEncryptionCodec(keyring(`kid0:${k0},kid1:${k1}`));
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
  const flipped = Buffer.from(enc!.data!);
  flipped[flipped.length - 20]! ^= 1;
  await assert.rejects(codec.decode([{ ...enc!, data: flipped }]), /does not decrypt with that key/);
  const relabelled = { ...enc!, metadata: { ...enc!.metadata, [KEY_ID_METADATA]: Buffer.from('kid1') } };
  await assert.rejects(codec.decode([relabelled]), /key id "kid1" does not decrypt/);
  const otherKey = new PayloadEncryptionCodec(keyring(`kid0:${k1}`));
  await assert.rejects(otherKey.decode([enc!]), PayloadDecryptionError);
  await assert.rejects(codec.decode([{ ...enc!, data: new Uint8Array(5) }]), /too short/);
  const plain = defaultPayloadConverter.toPayload({ written: 'before encryption was on' });
  assert.equal((await codec.decode([plain]))[0], plain);
});

test('the failure converter encodes message and stack into a payload the codec encrypts; the type stays readable', async () => {
  const codec = new PayloadEncryptionCodec(keyring(`kid0:${k0}`));
  const err = ApplicationFailure.nonRetryable('node "load" failed: relation dw.secret_orders does not exist', 'NodeFailed', { attempt: 2 });
  const failure = failureConverter.errorToFailure(err, defaultPayloadConverter);
  assert.equal(failure.message, 'Encoded failure');
  assert.equal(failure.stackTrace, '');
  assert.equal(failure.applicationFailureInfo?.type, 'NodeFailed');
  const [encAttrs] = await codec.encode([failure.encodedAttributes!]);
  assert.ok(!Buffer.from(encAttrs!.data!).toString('latin1').includes('secret_orders'));

  const [attrs] = await codec.decode([encAttrs!]);
  const back = failureConverter.failureToError({ ...failure, encodedAttributes: attrs! }, defaultPayloadConverter);
  assert.ok(back instanceof ApplicationFailure);
  assert.equal(back.type, 'NodeFailed');
  assert.equal(back.message, 'node "load" failed: relation dw.secret_orders does not exist');
  assert.deepEqual(back.details, [{ attempt: 2 }]);
});
