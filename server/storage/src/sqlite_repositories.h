// Internal: the SQLite implementations of the repository interfaces. Each is stateless:
// it takes the connection from the transaction it is given (ConnectionOf), so one
// instance serves every thread. The SQL text of each statement is a constant; values are
// always bound.
//
// Thread safety: stateless; safe from any number of threads, each with its own
// transaction.
#pragma once

#include "tillit/storage/accounts.h"
#include "tillit/storage/activation_codes.h"
#include "tillit/storage/audit.h"
#include "tillit/storage/counters.h"
#include "tillit/storage/credentials.h"
#include "tillit/storage/enrolments.h"
#include "tillit/storage/leases.h"
#include "tillit/storage/order_results.h"
#include "tillit/storage/persons.h"

namespace tillit::server::storage::sqlite {

class SqliteOfficerRepository final : public OfficerRepository {
 public:
  Status Insert(Transaction& tx, const OfficerRow& officer) override;
  Result<std::optional<OfficerRow>> FindById(ReadTransaction& tx, std::string_view id) override;
  Result<std::optional<OfficerRow>> FindByTokenHash(ReadTransaction& tx,
                                                    ByteView token_hash) override;
  Status Revoke(Transaction& tx, std::string_view id, int64_t at) override;
  Result<std::vector<OfficerRow>> List(ReadTransaction& tx) override;
};

class SqliteRelyingPartyRepository final : public RelyingPartyRepository {
 public:
  Status Insert(Transaction& tx, const RelyingPartyRow& party) override;
  Result<std::optional<RelyingPartyRow>> FindById(ReadTransaction& tx,
                                                  std::string_view id) override;
  Result<std::optional<RelyingPartyRow>> FindByKeyHash(ReadTransaction& tx,
                                                       ByteView api_key_hash) override;
  Result<std::optional<RelyingPartyRow>> FindByClientSubject(ReadTransaction& tx,
                                                             std::string_view subject) override;
  Status SetClientSubject(Transaction& tx, std::string_view id,
                          const std::optional<std::string>& subject) override;
  Status Revoke(Transaction& tx, std::string_view id, int64_t at) override;
  Status SetApiKeyHash(Transaction& tx, std::string_view id, ByteView api_key_hash) override;
  Result<std::vector<RelyingPartyRow>> List(ReadTransaction& tx) override;
};

class SqliteCounterRepository final : public CounterRepository {
 public:
  Result<uint64_t> Peek(ReadTransaction& tx, std::string_view name) override;

 protected:
  Result<uint64_t> DoAllocate(Transaction& tx, std::string_view name, uint64_t count) override;
};

class SqliteEnrolmentRepository final : public EnrolmentRepository {
 public:
  Status Insert(Transaction& tx, const EnrolmentRow& enrolment) override;
  Result<EnrolmentRow> Get(ReadTransaction& tx, std::string_view id) override;
  Result<std::vector<EnrolmentRow>> ListByStatus(ReadTransaction& tx, std::string_view status,
                                                 size_t limit) override;
  Result<std::vector<EnrolmentRow>> ListRecentByStatus(ReadTransaction& tx, std::string_view status,
                                                       size_t limit) override;
  Result<std::vector<EnrolmentRow>> ListForPerson(ReadTransaction& tx, std::string_view identifier,
                                                  size_t limit) override;
  Status UpdateStatus(Transaction& tx, std::string_view id,
                      const EnrolmentTransition& transition) override;
  Status Approve(Transaction& tx, std::string_view id, std::string_view from, std::string_view to,
                 std::string_view officer, int64_t at) override;
  Status InsertMatch(Transaction& tx, const EnrolmentMatchRow& match) override;
  Status ResolveMatch(Transaction& tx, std::string_view enrolment_id, std::string_view identifier,
                      MatchResolution resolution, std::string_view officer, std::string_view reason,
                      int64_t at) override;
  Result<std::vector<EnrolmentMatchRow>> ListMatches(ReadTransaction& tx,
                                                     std::string_view enrolment_id) override;
};

class SqlitePersonRepository final : public PersonRepository {
 public:
  Status Insert(Transaction& tx, const PersonRow& person) override;
  Result<PersonRow> Get(ReadTransaction& tx, std::string_view identifier) override;
  Result<PersonRow> GetWithoutDetails(ReadTransaction& tx, std::string_view identifier) override;
  Result<std::optional<PersonRow>> FindByDocument(ReadTransaction& tx,
                                                  const DocumentRow& document) override;
  Result<std::optional<PersonRow>> FindBySamordningsnummer(ReadTransaction& tx,
                                                           std::string_view number) override;
  Result<std::optional<PersonRow>> FindByCaseNumber(ReadTransaction& tx,
                                                    std::string_view case_number) override;
  Result<std::optional<PersonRow>> FindByPersonnummer(ReadTransaction& tx,
                                                      std::string_view number) override;
  Result<std::vector<PersonRow>> FindCandidatesByNameKeys(ReadTransaction& tx,
                                                          std::span<const std::string> keys,
                                                          size_t limit) override;
  Result<std::vector<PersonRow>> Search(ReadTransaction& tx, std::string_view text,
                                        size_t limit) override;
  Status AddDocument(Transaction& tx, std::string_view identifier,
                     const DocumentRow& document) override;
  Status LinkPersonnummer(Transaction& tx, std::string_view identifier,
                          std::string_view personnummer) override;
  Status SetAssuranceLevel(Transaction& tx, std::string_view identifier, int level) override;
  Status MarkRevoked(Transaction& tx, std::string_view identifier, int64_t at) override;
};

class SqliteActivationCodeRepository final : public ActivationCodeRepository {
 public:
  Status Insert(Transaction& tx, const ActivationCodeRow& code) override;
  Result<std::optional<ActivationCodeRow>> FindByHandle(ReadTransaction& tx,
                                                        std::string_view handle) override;
  Result<int64_t> RecordFailedAttempt(Transaction& tx, std::string_view handle) override;
  Status SetNonce(Transaction& tx, std::string_view handle, ByteView nonce,
                  int64_t expires_at) override;
  Result<bool> MarkUsed(Transaction& tx, std::string_view handle, int64_t at) override;
  Result<std::vector<ActivationCodeRow>> ListByIdentifier(ReadTransaction& tx,
                                                          std::string_view identifier) override;
  Result<int64_t> CancelUnused(Transaction& tx, std::string_view identifier) override;
  Result<int64_t> SupersedeUnused(Transaction& tx, std::string_view identifier,
                                  int64_t at) override;
};

class SqliteCredentialRepository final : public CredentialRepository {
 public:
  Status Insert(Transaction& tx, const CredentialRow& credential) override;
  Result<CredentialRow> Get(ReadTransaction& tx, std::string_view serial) override;
  Result<std::optional<CredentialRow>> FindByHolderKey(ReadTransaction& tx,
                                                       ByteView holder_public_key) override;
  Result<std::vector<CredentialRow>> ListByIdentifier(ReadTransaction& tx,
                                                      std::string_view identifier) override;
  Status SetStatus(Transaction& tx, std::string_view serial, CredentialStatus status,
                   std::string_view reason, int64_t at) override;
  Result<int64_t> RevokeAllForIdentifier(Transaction& tx, std::string_view identifier,
                                         std::string_view reason, int64_t at) override;
  Result<std::vector<CredentialRow>> ListRevokedOrSuspended(ReadTransaction& tx) override;
};

class SqliteAuditRepository final : public AuditRepository {
 public:
  Result<AuditRecord> Append(Transaction& tx, const AuditEntry& entry) override;
  Result<std::vector<AuditRecord>> ReadRange(ReadTransaction& tx, uint64_t first_seq,
                                             size_t limit) override;
  Result<AuditHead> Head(ReadTransaction& tx) override;
  Status InsertCheckpoint(Transaction& tx, const AuditCheckpoint& checkpoint) override;
  Result<std::vector<AuditCheckpoint>> ReadCheckpoints(ReadTransaction& tx, uint64_t first_seq,
                                                       size_t limit) override;
  Result<std::optional<AuditCheckpoint>> LastCheckpoint(ReadTransaction& tx) override;
};

class SqliteOrderResultRepository final : public OrderResultRepository {
 public:
  Status Insert(Transaction& tx, const OrderResultRow& row) override;
  Result<std::optional<OrderResultRow>> Find(ReadTransaction& tx,
                                             std::string_view order_ref) override;
  Result<std::vector<OrderResultRow>> ListByIdentifier(ReadTransaction& tx,
                                                       std::string_view identifier, size_t limit,
                                                       size_t offset) override;
};

class SqliteLeaseRepository final : public LeaseRepository {
 public:
  Status InsertLease(Transaction& tx, const LeaseRow& lease) override;
  Result<std::optional<LeaseRow>> FindLease(ReadTransaction& tx, std::string_view id) override;
  Result<std::vector<LeaseSummary>> ListLeases(ReadTransaction& tx) override;
  Status RecordImport(Transaction& tx, std::string_view identifier, std::string_view lease_id,
                      int64_t at) override;
  Result<std::optional<std::string>> FindImport(ReadTransaction& tx,
                                                std::string_view identifier) override;
  Status InsertDeskLease(Transaction& tx, const DeskLeaseRow& lease,
                         std::span<const LeasedIdentifierRow> identifiers) override;
  Result<std::optional<DeskLeaseRow>> FindDeskLease(ReadTransaction& tx,
                                                    std::string_view id) override;
  Result<std::vector<DeskLeaseSummary>> ListDeskLeases(ReadTransaction& tx) override;
  Result<bool> HasDeskLeases(ReadTransaction& tx) override;
  Result<bool> LeasedIdentifierExists(ReadTransaction& tx, uint64_t serial,
                                      std::string_view identifier) override;
  Result<std::optional<LeasedIdentifierRow>> TakeNextLeased(Transaction& tx, int64_t at) override;
  Result<std::vector<LeasedIdentifierRow>> ListUsedLeased(ReadTransaction& tx) override;
};

}  // namespace tillit::server::storage::sqlite
