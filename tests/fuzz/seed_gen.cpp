// fuzz_seed_gen DIR: writes the generated seed corpora and fixed data of the fuzz targets
// into DIR (tests/fuzz/): valid examples made by the real code (certificates, CRLs, signed
// data, JWS, key-store and wallet files, collect results for tillit-verify, QR pictures, a
// lease and a sync file with the central issuer's data directory data/central/). Text seeds
// (identifiers, personnummer, activation codes, API requests) are written by hand and not
// touched.
//
// The keys are fresh each run, so a run rewrites data/ and every generated seed together;
// commit them together. Run it only when a format changes. Test keys only: data/central/
// holds a CA private key that exists nowhere else.
#include <cpprest/json.h>
#include <jpeglib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/fuzz_node.h"
#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/identifier/identifier.h"
#include "tillit/platform/file_keystore.h"
#include "tillit/platform/qr_render.h"
#include "tillit/platform/wallet.h"
#include "tillit/protocol/jws.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/rfc3339.h"

namespace {

using namespace tillit;
using web::json::value;

constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z: the targets' clock
std::filesystem::path g_out;

template <typename T>
T Must(Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "fuzz_seed_gen: %s: %s: %s\n", what, result.error().code.c_str(),
                 result.error().message.c_str());
    std::exit(1);
  }
  return std::move(*result);
}

void Write(const std::string& rel, std::string_view bytes) {
  const std::filesystem::path path = g_out / rel;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz_seed_gen: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}
void Write(const std::string& rel, ByteView bytes) { Write(rel, AsString(bytes)); }

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string B64(ByteView b) { return Base64Encode(b); }

// The matrix as a JPEG (2 pixels per module; greyscale or RGB, baseline or progressive), for
// the JPEG path of DecodeImage; RenderQrPng only writes PNG.
Bytes QrJpeg(const platform::QrMatrix& m, bool grey, bool progressive) {
  constexpr int kPx = 2;
  const int side = m.size() * kPx;
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(side);
  cinfo.image_height = static_cast<JDIMENSION>(side);
  cinfo.input_components = grey ? 1 : 3;
  cinfo.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 75, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(side) * static_cast<size_t>(cinfo.input_components));
  while (cinfo.next_scanline < cinfo.image_height) {
    const int y = static_cast<int>(cinfo.next_scanline) / kPx;
    for (int x = 0; x < side; ++x) {
      const uint8_t v = m.IsDark(x / kPx, y) ? 0 : 255;
      for (int c = 0; c < cinfo.input_components; ++c) row[x * cinfo.input_components + c] = v;
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen DIR (tests/fuzz)\n");
    return 2;
  }
  g_out = argv[1];

  // --- CA, holder certificate, CRL -------------------------------------------------------
  const crypto::SigningKey ca_key = crypto::SigningKey::Generate();
  credential::CaProfile profile{.common_name = "Tillit Fuzz CA",
                                .organisation = "Tillit",
                                .country = "SE",
                                .not_before = kNow - 86400,
                                .not_after = kNow + 10 * 365 * 86400};
  const Bytes ca_der = Must(credential::CreateCaCertificate(ca_key, profile), "CA");
  Write("data/ca.der", ca_der);
  Write("data/ca.pem", credential::CertificateToPem(ca_der));
  Write("corpus/certificate/ca.der", ca_der);
  Write("corpus/certificate/ca.pem", credential::CertificateToPem(ca_der));

  const crypto::SigningKey holder_key = crypto::SigningKey::Generate();
  const auto identifier = Must(identifier::Identifier::FromPayload(1234567890123ULL), "id");
  credential::HolderCertificateRequest request{.identifier = identifier,
                                               .given_name = "Amira",
                                               .surname = "Haddad",
                                               .assurance_level = 3,
                                               .evidence_class = std::nullopt,
                                               .holder_key = holder_key.verifying_key(),
                                               .serial = {},
                                               .not_before = kNow - 3600,
                                               .not_after = kNow + 365 * 86400};
  const Bytes serial = crypto::RandomBytes(credential::kSerialSize);
  std::copy(serial.begin(), serial.end(), request.serial.begin());
  request.serial[0] = static_cast<uint8_t>((request.serial[0] & 0x7f) | 0x40);
  const Bytes holder_der = Must(credential::IssueHolderCertificate(ca_key, ca_der, request), "holder");
  Write("corpus/certificate/holder.der", holder_der);
  Write("corpus/certificate/holder.pem", credential::CertificateToPem(holder_der));
  const auto verified = Must(credential::VerifyHolderCertificate(holder_der, ca_der, kNow), "verify");
  const std::string serial_hex = verified.serial_hex();

  const Bytes crl_empty = Must(credential::CreateCrl(ca_key, ca_der, {}, kNow - 60, kNow + 3600, 1), "crl");
  const std::vector<credential::CrlEntry> entries{
      {serial_hex, kNow - 120, credential::RevocationReason::kCertificateHold},
      {"7f00000000000000000000000000000a", kNow - 600, credential::RevocationReason::kKeyCompromise},
      {"7f00000000000000000000000000000b", kNow - 900, credential::RevocationReason::kUnspecified}};
  const Bytes crl_full = Must(credential::CreateCrl(ca_key, ca_der, entries, kNow - 60, kNow + 3600, 2), "crl");
  Write("corpus/crl/empty.der", crl_empty);
  Write("corpus/crl/entries.der", crl_full);
  Write("corpus/crl/entries.pem", credential::CrlToPem(crl_full));

  // --- Signed data -------------------------------------------------------------------------
  const std::string order_ref = protocol::GenerateUuidV4();
  const std::string qr_token = protocol::GenerateUuidV4();
  protocol::SignedData auth{.action = protocol::OrderAction::kAuth,
                            .order_ref = order_ref,
                            .challenge = crypto::RandomBytes(protocol::kChallengeSize),
                            .rp_id = "rp-fuzzbank",
                            .rp_name = "Fuzz Bank AB",
                            .credential_serial = serial_hex,
                            .start = protocol::FormatLoginQr(qr_token, protocol::GenerateUuidV4(), 3),
                            .visible_data_hash = std::nullopt,
                            .non_visible_data_hash = std::nullopt,
                            .signed_at = kNow};
  const Bytes auth_bytes = Must(protocol::SerializeSignedData(auth), "signed data");
  Write("corpus/signed_data/auth.bin", auth_bytes);
  const std::string text = "Överför 1 000 kr till Ängby Fönster AB";
  const std::string hidden = "{\"tx\":42}";
  protocol::SignedData sign = auth;
  sign.action = protocol::OrderAction::kSign;
  sign.rp_name = "Fönsterbanken — 銀行";
  sign.start = "autostart." + protocol::GenerateUuidV4();
  sign.visible_data_hash = crypto::Sha256(AsBytes(text));
  sign.non_visible_data_hash = crypto::Sha256(AsBytes(hidden));
  Write("corpus/signed_data/sign.bin", Must(protocol::SerializeSignedData(sign), "signed data"));

  // --- Login QR --------------------------------------------------------------------------
  Write("corpus/login_qr/valid", protocol::FormatLoginQr(qr_token, protocol::GenerateUuidV4(), 0));
  Write("corpus/login_qr/valid_t", protocol::FormatLoginQr(qr_token, protocol::GenerateUuidV4(), 179));

  // --- Result key, JWS, JWKS, and a complete collect result for tillit-verify -------------
  const crypto::SigningKey result_key = crypto::SigningKey::Generate();
  Write("data/result_key.bin", result_key.verifying_key().bytes());
  const std::string jwk = protocol::SerializePublicJwk(result_key.verifying_key());
  const std::string jwks = "{\"keys\":[" + jwk + "]}";
  Write("data/jwks.json", jwks);
  Write("corpus/jws/jwk_x", Base64UrlEncode(result_key.verifying_key().bytes()));
  Write("corpus/jws/small.jws", protocol::SignCompactJws(result_key, AsBytes("{\"a\":1}")));

  for (const bool signing : {false, true}) {
    const protocol::SignedData& sd = signing ? sign : auth;
    const Bytes sd_bytes = Must(protocol::SerializeSignedData(sd), "signed data");
    value user = value::object(true);
    user["identifier"] = value::string(identifier.ToString());
    user["givenName"] = value::string("Amira");
    user["surname"] = value::string("Haddad");
    user["name"] = value::string("Amira Haddad");
    user["assuranceLevel"] = value::number(3);
    value device = value::object(true);
    device["credentialSerial"] = value::string(serial_hex);
    device["ipAddress"] = value::string("192.0.2.7");
    value data = value::object(true);
    data["user"] = user;
    data["device"] = device;
    data["certificate"] = value::string(B64(holder_der));
    data["signedData"] = value::string(B64(sd_bytes));
    data["signature"] = value::string(B64(holder_key.Sign(sd_bytes).bytes()));
    data["completedAt"] = value::string(FormatRfc3339(kNow));
    if (signing) {
      data["userVisibleData"] = value::string(B64(AsBytes(text)));
      data["userNonVisibleData"] = value::string(B64(AsBytes(hidden)));
    }
    value claims = value::object(true);
    claims["iss"] = value::string("https://id.example");
    claims["orderRef"] = value::string(order_ref);
    claims["action"] = value::string(signing ? "sign" : "auth");
    claims["completionData"] = data;
    const std::string jws = protocol::SignCompactJws(result_key, AsBytes(claims.serialize()));
    data["resultJws"] = value::string(jws);
    value result = value::object(true);
    result["orderRef"] = value::string(order_ref);
    result["status"] = value::string("complete");
    result["completionData"] = data;
    const std::string name = signing ? "sign" : "auth";
    Write("corpus/verify/" + name + ".json", result.serialize());
    Write("corpus/jws/" + name + ".jws", jws);
    if (!signing) Write("corpus/verify/auth_with_jwks", result.serialize() + "\n--\n" + jwks);
  }

  // --- Key store and wallet files, written by the real code -------------------------------
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() / "tillit-seed-gen";
  std::filesystem::remove_all(scratch);
  {
    auto store = Must(platform::FileKeyStore::Open(
                          scratch / "ks", crypto::PinKdfParams{crypto::kPinKdfMinOpsLimit,
                                                               crypto::kPinKdfMinMemLimitBytes}),
                      "key store");
    if (!store->Create("739164", holder_key).ok()) {
      std::fprintf(stderr, "fuzz_seed_gen: key store create failed\n");
      return 1;
    }
    std::string file = ReadAll(scratch / "ks" / "sealed_key.bin");
    Write("corpus/keystore/sealed_key.bin", file);
    file[77] = 4;  // four wrong PINs so far: the next wrong one locks
    Write("corpus/keystore/four_wrong.bin", file);
    file[77] = 5;  // an interrupted last attempt
    Write("corpus/keystore/locked.bin", file);
    file[9] = 2;  // a newer version
    Write("corpus/keystore/version2.bin", file);
  }
  {
    if (!platform::PrepareDeviceHome(scratch / "device").ok()) {
      std::fprintf(stderr, "fuzz_seed_gen: cannot make the device home\n");
      return 1;
    }
    platform::WalletEntry entry{.server = "https://id.example",
                                .certificate_der = holder_der,
                                .ca_certificate_der = ca_der,
                                .activated_at = kNow};
    if (!platform::SaveWallet(scratch / "device", entry).ok()) {
      std::fprintf(stderr, "fuzz_seed_gen: wallet save failed\n");
      return 1;
    }
    Write("corpus/wallet/wallet.json", ReadAll(scratch / "device" / "wallet.json"));
  }

  // --- A QR picture ----------------------------------------------------------------------
  const auto matrix = Must(platform::EncodeQr("tillit-activate:v1:ABCDEFGHJKLMNPRS:https://id.example"), "qr");
  Write("corpus/qr_image/activate.png", Must(platform::RenderQrPng(matrix, 2), "png"));
  Write("corpus/qr_image/activate.jpg", QrJpeg(matrix, /*grey=*/true, /*progressive=*/false));
  Write("corpus/qr_image/progressive.jpg", QrJpeg(matrix, /*grey=*/false, /*progressive=*/true));

  // --- Offline desk: the central data directory, a lease file and a sync file -------------
  {
    const std::filesystem::path central_dir = scratch / "central";
    const std::filesystem::path desk_dir = scratch / "desk";
    std::string lease_text;
    std::string sync_text;
    {
      fuzz::FuzzNode central(central_dir.string());
      fuzz::FuzzNode desk(desk_dir.string());
      lease_text = Must(central.leases->LeaseBlock("desk-a", 3), "lease").text;
      Must(desk.leases->LoadLease(lease_text, central.keys->ca_certificate_der()), "load lease");
      const auto token = Must(desk.accounts->AddOfficer("Anna Berg", "Migrationsverket", "officer"),
                              "officer").token;
      const auto officer = Must(desk.accounts->AuthenticateOfficer(token), "officer");
      service::EnrolmentRequest person;
      person.person = {.given_name = "Lina", .surname = "Nasser", .original_name = "",
                       .birth_date = "1988-07-14", .nationality = "SYR",
                       .samordningsnummer = "", .case_number = ""};
      person.evidence.push_back({.type = "passport", .number = "N2000001", .country = "SYR",
                                 .expiry = "2030-01-01"});
      person.checks = {"chip-read", "face-to-photo"};
      const auto created = Must(desk.enrolments->Create(officer, person), "desk enrol");
      Must(desk.enrolments->Issue(officer, created.enrolment_id), "desk issue");
      sync_text = Must(desk.leases->ExportSync(), "export sync").text;
    }
    std::filesystem::remove_all(g_out / "data/central");
    for (const auto& entry : std::filesystem::directory_iterator(central_dir)) {
      const std::string name = entry.path().filename().string();
      if (name.ends_with(".lock") || name.ends_with("-shm") || name.ends_with("-wal")) continue;
      Write("data/central/" + name, ReadAll(entry.path()));
    }
    Write("corpus/offline_desk/lease", "L" + lease_text);
    Write("corpus/offline_desk/sync", "S" + sync_text);
  }
  std::filesystem::remove_all(scratch);

  std::printf("fuzz_seed_gen: wrote seeds into %s\n", g_out.c_str());
  return 0;
}
