// Central counters. The identifier serial counter is the first line of the identifier's
// uniqueness (design.md property 5, tillit/identifier/serial_block.h): it only ever
// increases, and values are taken inside the caller's transaction, so a serial is
// consumed exactly when the issuance that uses it commits, and an issuance that rolls
// back gives its serial back with it (nobody else can have seen it: writers are
// serialised).
//
// Thread safety: as every repository (see tillit/storage/accounts.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

// The counter that feeds identifier::IdentifierScheme::FromSerial. Created (at 0) by
// schema migration 1. DO NOT CHANGE.
inline constexpr std::string_view kIdentifierSerialCounter = "identifier_serial";

class CounterRepository {
 public:
  virtual ~CounterRepository() = default;

  // Takes `count` consecutive values [first, first + count) of counter `name` and returns
  // `first`; the counter moves to first + count within `tx`. Online issuance takes one;
  // an offline desk leases a block (then wraps the range in identifier::SerialBlock,
  // which also checks it against the identifier domain).
  // Errors: "invalidParameters" (count is 0 or above 2^62), "notFound" (no such counter),
  // "counterExhausted" (the counter would pass 2^63 - 1).
  Result<uint64_t> Allocate(Transaction& tx, std::string_view name, uint64_t count = 1) {
    return DoAllocate(tx, name, count);
  }

  // The next value Allocate would return. Errors: "notFound".
  virtual Result<uint64_t> Peek(ReadTransaction& tx, std::string_view name) = 0;

 protected:
  // Allocate without the default argument (defaults on virtual functions bind statically).
  virtual Result<uint64_t> DoAllocate(Transaction& tx, std::string_view name, uint64_t count) = 0;
};

}  // namespace tillit::server::storage
