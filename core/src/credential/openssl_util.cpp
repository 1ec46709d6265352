// OpenSSL helpers for credential/: error text, certificate encoding, time conversion.
#include "credential/openssl_util.h"

#include <algorithm>
#include <array>
#include <ctime>

#include "tillit/crypto/secret.h"

namespace tillit::credential::internal {

Error OpensslError(std::string code, std::string message) {
  const unsigned long err = ERR_peek_last_error();
  if (err != 0) {
    char reason[256];
    ERR_error_string_n(err, reason, sizeof(reason));
    message += " (";
    message += reason;
    message += ")";
  }
  return MakeError(std::move(code), std::move(message));
}

Result<EvpPkeyPtr> OpensslSigningKey(const crypto::SigningKey& key) {
  const ByteView seed =
      key.seed(crypto::InsecureSecretAccess::Get()).Expose(crypto::InsecureSecretAccess::Get());
  EvpPkeyPtr pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (pkey == nullptr) return OpensslError("internalError", "cannot load the Ed25519 signing key");
  // The public key OpenSSL derives must be the one libsodium derived from the same seed.
  std::array<uint8_t, crypto::VerifyingKey::kSize> derived{};
  size_t length = derived.size();
  TILLIT_CHECK(EVP_PKEY_get_raw_public_key(pkey.get(), derived.data(), &length) == 1);
  TILLIT_CHECK(length == derived.size() &&
               std::ranges::equal(derived, key.verifying_key().bytes()));
  return pkey;
}

Result<EvpPkeyPtr> OpensslVerifyingKey(const crypto::VerifyingKey& key) {
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.bytes().data(),
                                              key.bytes().size()));
  if (pkey == nullptr) return OpensslError("internalError", "cannot load the Ed25519 public key");
  return pkey;
}

Result<Bytes> EncodeCertificate(X509* x509) {
  unsigned char* out = nullptr;
  const int length = i2d_X509(x509, &out);
  if (length <= 0) return OpensslError("internalError", "cannot encode the certificate");
  OpensslBytesPtr owned(out);
  return Bytes(out, out + length);
}

namespace {

// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's days_from_civil),
// so that the conversion needs neither timegm nor the process time zone.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t shifted_month = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

}  // namespace

Result<int64_t> Asn1TimeToUnix(const ASN1_TIME* time) {
  struct tm tm {};
  // ASN1_TIME_to_tm validates the string (digits, ranges, trailing 'Z') as it converts.
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return OpensslError("invalidTime", "malformed certificate time");
  }
  const int64_t days = DaysFromCivil(int64_t{tm.tm_year} + 1900, tm.tm_mon + 1, tm.tm_mday);
  return days * 86400 + int64_t{tm.tm_hour} * 3600 + int64_t{tm.tm_min} * 60 + tm.tm_sec;
}

Status SetAsn1Time(ASN1_TIME* time, int64_t unix_seconds) {
  static_assert(sizeof(time_t) >= 8, "times after 2038 need a 64-bit time_t");
  if (ASN1_TIME_set(time, static_cast<time_t>(unix_seconds)) == nullptr) {
    return OpensslError("internalError", "cannot set a certificate time");
  }
  return {};
}

}  // namespace tillit::credential::internal
