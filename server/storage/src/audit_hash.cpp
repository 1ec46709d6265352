// The audit log's hash chain: canonical entry encoding, entry hash and chain check (see
// tillit/storage/audit.h; the encoding is docs/storage.md §Audit log). Backend-neutral.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "tillit/check.h"
#include "tillit/storage/audit.h"

namespace tillit::server::storage {
namespace {

// Domain separation: an audit hash can never be confused with a hash of anything else
// Tillit hashes. The trailing NUL is part of the tag. DO NOT CHANGE.
constexpr std::string_view kAuditHashContext{"tillit-audit-v1\0", 16};

// Writes into a buffer sized in advance. (Growing a vector with insert() here trips a
// false -Wstringop-overflow in GCC 12.)
class Writer {
 public:
  explicit Writer(size_t size) : out_(size) {}
  void Raw(ByteView bytes) {
    TILLIT_CHECK(bytes.size() <= out_.size() - pos_);
    for (uint8_t b : bytes) out_[pos_++] = b;
  }
  void U32(uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) Byte(static_cast<uint8_t>(value >> shift));
  }
  void U64(uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) Byte(static_cast<uint8_t>(value >> shift));
  }
  void Field(std::string_view field) {
    U32(static_cast<uint32_t>(field.size()));
    Raw(AsBytes(field));
  }
  Bytes Finish() {
    TILLIT_CHECK(pos_ == out_.size());
    return std::move(out_);
  }

 private:
  void Byte(uint8_t b) {
    TILLIT_CHECK(pos_ < out_.size());
    out_[pos_++] = b;
  }
  Bytes out_;
  size_t pos_ = 0;
};

Error Broken(uint64_t seq, std::string_view why) {
  return MakeError("auditChainBroken",
                   "audit entry " + std::to_string(seq) + ": " + std::string(why));
}

}  // namespace

Bytes EncodeAuditEntryForHash(const crypto::Sha256Digest& prev_hash, uint64_t seq,
                              const AuditEntry& entry) {
  const std::string_view fields[] = {entry.actor, entry.action, entry.subject, entry.detail_json};
  size_t size = kAuditHashContext.size() + prev_hash.size() + 8 + 8;
  for (std::string_view field : fields) {
    // Fields are bounded far below 4 GiB by the HTTP body cap; a longer one cannot be
    // encoded and is a programmer error.
    TILLIT_CHECK(field.size() <= UINT32_MAX);
    size += 4 + field.size();
  }
  Writer out(size);
  out.Raw(AsBytes(kAuditHashContext));
  out.Raw(prev_hash);
  out.U64(seq);
  out.U64(static_cast<uint64_t>(entry.at));  // two's complement, as i64be
  for (std::string_view field : fields) out.Field(field);
  return out.Finish();
}

crypto::Sha256Digest AuditEntryHash(const crypto::Sha256Digest& prev_hash, uint64_t seq,
                                    const AuditEntry& entry) {
  return crypto::Sha256(EncodeAuditEntryForHash(prev_hash, seq, entry));
}

Status VerifyAuditChain(std::span<const AuditRecord> records,
                        const crypto::Sha256Digest& prev_hash) {
  crypto::Sha256Digest expected_prev = prev_hash;
  for (size_t i = 0; i < records.size(); ++i) {
    const AuditRecord& record = records[i];
    if (i > 0 && record.seq != records[i - 1].seq + 1) {
      return Broken(record.seq, "sequence gap");
    }
    if (record.prev_hash != expected_prev) return Broken(record.seq, "previous hash mismatch");
    if (AuditEntryHash(record.prev_hash, record.seq, record.entry) != record.entry_hash) {
      return Broken(record.seq, "entry hash mismatch");
    }
    expected_prev = record.entry_hash;
  }
  return {};
}

}  // namespace tillit::server::storage
