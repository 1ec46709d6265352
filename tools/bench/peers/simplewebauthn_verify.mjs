// Times @simplewebauthn/server's verifyAuthenticationResponse for EdDSA (Ed25519)
// assertions on one core: the whole check an RP does with a browser's answer (base64url
// decoding, client data type/challenge/origin, RP id hash, flags, counter, the COSE key and
// the Ed25519 signature). The peer of tillit-microbench's BM_DeviceResponseVerify
// (docs/performance.md). Usage: node simplewebauthn_verify.mjs NODE_MODULES_DIR [SECONDS].
// Prints one JSON line.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const modules = process.argv[2];
const seconds = Number(process.argv[3] ?? 3);
const require = createRequire(path.join(modules, 'noop.js'));
const swa = require('@simplewebauthn/server');
// package.json is not in the package's "exports"; read it from disk.
const pkg = JSON.parse(fs.readFileSync(path.join(modules, '@simplewebauthn/server/package.json'), 'utf8'));

const RP_ID = 'example.com';
const ORIGIN = 'https://example.com';
const b64url = (b) => Buffer.from(b).toString('base64url');

const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
const x = publicKey.export({ format: 'jwk' }).x;
// COSE_Key {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x}, CBOR by hand.
const cose = Buffer.concat([Buffer.from([0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20]),
                            Buffer.from(x, 'base64url')]);
const credentialId = crypto.randomBytes(32);
const challenge = b64url(crypto.randomBytes(32));
const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: ORIGIN }));
const authData = Buffer.concat([crypto.createHash('sha256').update(RP_ID).digest(),
                                Buffer.from([0x05, 0, 0, 0, 1])]);
const signature = crypto.sign(null, Buffer.concat([authData,
  crypto.createHash('sha256').update(clientDataJSON).digest()]), privateKey);
const response = {
  id: b64url(credentialId), rawId: b64url(credentialId), type: 'public-key',
  clientExtensionResults: {},
  response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData),
              signature: b64url(signature) },
};
const options = {
  response, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID,
  requireUserVerification: false,
  credential: { id: b64url(credentialId), publicKey: new Uint8Array(cose), counter: 0 },
};

const first = await swa.verifyAuthenticationResponse(options);
if (!first.verified) throw new Error('the assertion did not verify');
let n = 0;
const start = process.hrtime.bigint();
const limit = BigInt(Math.round(seconds * 1e9));
while (process.hrtime.bigint() - start < limit) {
  for (let i = 0; i < 100; i++) {
    const r = await swa.verifyAuthenticationResponse(options);
    if (!r.verified) throw new Error('verify failed');
  }
  n += 100;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ peer: '@simplewebauthn/server', version: pkg.version,
  verifiesPerSecond: Math.round(n / elapsed), usPerVerify: Number((1e6 * elapsed / n).toFixed(1)) }));
