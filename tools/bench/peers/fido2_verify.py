#!/usr/bin/env python3
"""Times python-fido2 0.9's verification of EdDSA WebAuthn assertions, from bytes, on one core.

Each iteration is what a FIDO2 relying party does with a device's answer
(Fido2Server.authenticate_complete): parse the client data and authenticator data from
bytes, check the type, challenge, origin and RP id hash, find the credential, and verify
the Ed25519 signature over authenticatorData || SHA-256(clientDataJSON). The peer of
tillit-microbench's BM_DeviceResponseVerify (docs/performance.md). Prints one JSON line.
"""
import hashlib
import json
import os
import sys
import time

import fido2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fido2.cose import EdDSA
from fido2.client import ClientData
from fido2.ctap2 import AttestedCredentialData, AuthenticatorData
from fido2.server import Fido2Server
from fido2.utils import websafe_encode
from fido2.webauthn import PublicKeyCredentialRpEntity

RP_ID = "example.com"
ORIGIN = "https://example.com"
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0

private = Ed25519PrivateKey.generate()
cose_key = EdDSA.from_cryptography_key(private.public_key())
credential_id = os.urandom(32)
credential = AttestedCredentialData.create(b"\0" * 16, credential_id, cose_key)
server = Fido2Server(PublicKeyCredentialRpEntity(RP_ID, "Example"),
                     verify_origin=lambda origin: origin == ORIGIN)
challenge = os.urandom(32)
options, state = server.authenticate_begin([credential], challenge=challenge)
client_json = json.dumps({"type": "webauthn.get", "challenge": websafe_encode(challenge),
                          "origin": ORIGIN}).encode()
auth_data_bytes = hashlib.sha256(RP_ID.encode()).digest() + b"\x05" + (1).to_bytes(4, "big")
signature = private.sign(auth_data_bytes + hashlib.sha256(client_json).digest())


def once():
    client_data = ClientData(client_json)
    auth_data = AuthenticatorData(auth_data_bytes)
    server.authenticate_complete(state, [credential], credential_id, client_data, auth_data,
                                 signature)


once()  # raises if the assertion does not verify
n = 0
start = time.perf_counter()
while time.perf_counter() - start < SECONDS:
    for _ in range(100):
        once()
    n += 100
elapsed = time.perf_counter() - start
print(json.dumps({"peer": "python3-fido2", "version": fido2.__version__,
                  "verifiesPerSecond": round(n / elapsed), "usPerVerify": round(1e6 * elapsed / n, 1)}))
