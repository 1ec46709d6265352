// Pkcs11Signer over the PKCS#11 C API (see pkcs11_signer.h). The only file that includes
// the PKCS#11 header (p11-kit's copy: the standard API, no p11-kit calls).
#include "tillit/service/pkcs11_signer.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace tillit::service {
namespace {

using crypto::InsecureSecretAccess;

// Signed and verified once at Open, to prove that the public key belongs to the private key.
constexpr std::string_view kSelfTestMessage = "tillit: PKCS#11 signer self-test";
// How long Sign waits for another thread's signature before it gives up: a hung token (or
// network HSM) then holds one caller, not every HTTP worker. A healthy token signs in
// milliseconds.
constexpr std::chrono::seconds kSignLockTimeout{5};
// After a failed attempt to reconnect (the token is absent), Sign answers at once for this
// long instead of finalising, initialising and scanning the module again on every call.
constexpr std::chrono::seconds kReconnectBackoff{1};
// C_GetSlotList may answer CKR_BUFFER_TOO_SMALL if a token appears between its two calls.
constexpr int kSlotListAttempts = 3;

std::string RvText(CK_RV rv) {
  switch (rv) {
    case CKR_HOST_MEMORY: return "CKR_HOST_MEMORY";
    case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
    case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_INVALID: return "CKR_PIN_INVALID";
    case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
    case CKR_PIN_EXPIRED: return "CKR_PIN_EXPIRED";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case CKR_CRYPTOKI_ALREADY_INITIALIZED: return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
    case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
    case CKR_OPERATION_ACTIVE: return "CKR_OPERATION_ACTIVE";
    case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
    default: break;
  }
  char text[32];
  std::snprintf(text, sizeof text, "CKR 0x%08lx", static_cast<unsigned long>(rv));
  return text;
}

Error Unavailable(const std::string& what, CK_RV rv) {
  return MakeError("signerUnavailable", "PKCS#11: " + what + " (" + RvText(rv) + ")");
}

// The codes after which signing is worth a new session: the session, the login or the
// token went away (removed and reinserted, HSM restarted or failed over, module
// re-initialised), or an operation was left active. Object handles belong to the token's
// current life: after it comes back, the key's old handle is stale (SoftHSM2 answers
// CKR_KEY_HANDLE_INVALID) and only a new search finds it. Every other code (mechanism or
// key not permitted, arguments, a general error) would fail again the same way: it is
// returned without logging out and in again.
bool IsSessionLoss(CK_RV rv) {
  switch (rv) {
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_DEVICE_ERROR:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_OPERATION_ACTIVE:
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return true;
    default:
      return false;
  }
}

// --- modules -----------------------------------------------------------------------------
// C_Initialize and C_Finalize act on the whole process, so every signer of a module shares
// one initialisation, counted here. A module is known by its function list, not by the
// path that named it: dlopen() gives the same library for a symlink or another spelling of
// the path, and with it the same initialisation. The library stays loaded once loaded:
// modules are not reliably unloadable (threads, atexit handlers).

enum class Initialized {
  kNo,
  kByUs,     // our C_Initialize succeeded: ours to finalise
  kByOther,  // CKR_CRYPTOKI_ALREADY_INITIALIZED: another library in this process (p11-kit's
             // proxy, an OpenSSL provider) uses the module; it is theirs to finalise
};

struct Module {
  int users = 0;
  Initialized initialized = Initialized::kNo;
};

std::mutex& ModulesMutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<CK_FUNCTION_LIST_PTR, Module>& Modules() {
  static auto* modules = new std::map<CK_FUNCTION_LIST_PTR, Module>();  // never destroyed
  return *modules;
}

// Requires ModulesMutex.
Status InitializeLocked(CK_FUNCTION_LIST_PTR functions, Module& module, const std::string& path) {
  // The module may use the OS's threads and locks: we call it from several threads
  // (serialised per session, but not per module).
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = functions->C_Initialize(&args);
  if (rv == CKR_OK) {
    module.initialized = Initialized::kByUs;
  } else if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    module.initialized = Initialized::kByOther;
  } else {
    module.initialized = Initialized::kNo;
    return Unavailable("C_Initialize of " + path + " failed", rv);
  }
  return {};
}

Result<CK_FUNCTION_LIST_PTR> AcquireModule(const std::string& path) {
  std::lock_guard lock(ModulesMutex());
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = ::dlerror();
    return MakeError("signerUnavailable", "cannot load the PKCS#11 module " + path + ": " +
                                              (reason ? reason : "unknown error"));
  }
  auto get_function_list =
      reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR functions = nullptr;
  if (get_function_list == nullptr || get_function_list(&functions) != CKR_OK ||
      functions == nullptr) {
    ::dlclose(handle);
    return MakeError("signerUnavailable", path + " is not a PKCS#11 module");
  }
  auto [it, first] = Modules().try_emplace(functions);
  // One reference keeps a module loaded; a second dlopen() of it only counted up.
  if (!first) ::dlclose(handle);
  Module& module = it->second;
  if (module.initialized == Initialized::kNo) TILLIT_TRY(InitializeLocked(functions, module, path));
  ++module.users;
  return functions;
}

// Finalises and initialises the module again if this signer is its only user in this
// process and the module is not another library's too, so it scans its slots afresh
// (SoftHSM2, like many modules, lists tokens only at C_Initialize). True if it did.
bool ReinitializeSoleModule(CK_FUNCTION_LIST_PTR functions, const std::string& path) {
  std::lock_guard lock(ModulesMutex());
  Module& module = Modules().at(functions);
  if (module.users != 1 || module.initialized == Initialized::kByOther) return false;
  if (module.initialized == Initialized::kByUs) functions->C_Finalize(nullptr);
  module.initialized = Initialized::kNo;
  return InitializeLocked(functions, module, path).ok();
}

void ReleaseModule(CK_FUNCTION_LIST_PTR functions) {
  std::lock_guard lock(ModulesMutex());
  Module& module = Modules().at(functions);
  if (module.users > 0 && --module.users == 0) {
    if (module.initialized == Initialized::kByUs) functions->C_Finalize(nullptr);
    module.initialized = Initialized::kNo;
  }
}

// Label fields of CK_TOKEN_INFO are blank padded (some tokens pad with NULs).
std::string TrimLabel(const unsigned char* label, size_t size) {
  std::string text(reinterpret_cast<const char*>(label), size);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  return text;
}

}  // namespace

struct Pkcs11Signer::State {
  std::string module_path;
  CK_FUNCTION_LIST_PTR p11 = nullptr;
  std::string token_label;
  std::string key_label;
  crypto::SecretBytes pin;  // kept to log in again after the token comes back
  std::optional<crypto::VerifyingKey> public_key;  // set by the first Connect, then fixed

  // Guards everything below, and every use of the session. Timed: see kSignLockTimeout.
  std::timed_mutex mutex;
  bool has_session = false;
  // When the last attempt to reconnect failed (see kReconnectBackoff).
  std::optional<std::chrono::steady_clock::time_point> reconnect_failed_at;
  // Set when the token refused the PIN: it is never tried again, since every wrong try
  // counts towards the token locking the PIN (e.g. the PIN was changed while we ran).
  bool pin_refused = false;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;

  ~State() {
    CloseSession();
    if (p11 != nullptr) ReleaseModule(p11);
  }

  void CloseSession() {
    // Closing the application's last session with the token also logs it out.
    if (has_session) p11->C_CloseSession(session);
    has_session = false;
  }

  // The one slot whose token is labelled token_label. Errors: "signerUnavailable" (none, or
  // the slots cannot be listed), "invalidParameters" (two tokens carry the label).
  Result<CK_SLOT_ID> FindToken() {
    std::vector<CK_SLOT_ID> slots;
    CK_RV rv = CKR_BUFFER_TOO_SMALL;
    // The list may grow between the count and the fetch: ask again, a few times.
    for (int attempt = 0; attempt < kSlotListAttempts && rv == CKR_BUFFER_TOO_SMALL; ++attempt) {
      CK_ULONG count = 0;
      rv = p11->C_GetSlotList(CK_TRUE, nullptr, &count);
      if (rv != CKR_OK) return Unavailable("cannot list the slots", rv);
      slots.assign(count, 0);
      if (count == 0) break;  // a null list would ask for the count again
      rv = p11->C_GetSlotList(CK_TRUE, slots.data(), &count);
      if (rv == CKR_OK) slots.resize(count);
    }
    if (rv != CKR_OK) return Unavailable("cannot list the slots", rv);
    std::vector<CK_SLOT_ID> found;
    for (CK_SLOT_ID slot : slots) {
      CK_TOKEN_INFO info{};
      if (p11->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
      if (TrimLabel(info.label, sizeof info.label) == token_label) found.push_back(slot);
    }
    if (found.empty()) {
      return MakeError("signerUnavailable",
                       "PKCS#11: no token labelled \"" + token_label + "\" is present");
    }
    if (found.size() > 1) {
      return MakeError("invalidParameters",
                       "PKCS#11: more than one token is labelled \"" + token_label + "\"");
    }
    return found.front();
  }

  Status Login() {
    if (pin_refused) {
      return MakeError("caKeyLocked", "PKCS#11: token \"" + token_label +
                                          "\" refused the user PIN before; restart with the "
                                          "right PIN");
    }
    const ByteView secret = pin.Expose(InsecureSecretAccess::Get());
    const CK_RV rv = p11->C_Login(session, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(secret.data()),
                                  secret.size());
    // Already logged in: another signer of this process logged in to the same token.
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return {};
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE ||
        rv == CKR_PIN_EXPIRED) {
      pin_refused = true;
      return MakeError("caKeyLocked", "PKCS#11: token \"" + token_label +
                                          "\" refused the user PIN (" + RvText(rv) + ")");
    }
    if (rv == CKR_PIN_LOCKED) {
      pin_refused = true;
      return MakeError("caKeyLocked", "PKCS#11: the user PIN of token \"" + token_label +
                                          "\" is locked; its security officer must reset it");
    }
    return Unavailable("cannot log in to token \"" + token_label + "\"", rv);
  }

  // The one object of `object_class` labelled key_label. Errors: "notFound".
  Result<CK_OBJECT_HANDLE> FindKey(CK_OBJECT_CLASS object_class, const char* what) {
    CK_ATTRIBUTE query[] = {
        {CKA_CLASS, &object_class, sizeof object_class},
        {CKA_LABEL, key_label.data(), key_label.size()},
    };
    CK_RV rv = p11->C_FindObjectsInit(session, query, 2);
    if (rv != CKR_OK) return Unavailable("cannot search the token", rv);
    std::array<CK_OBJECT_HANDLE, 2> objects{};
    CK_ULONG count = 0;
    rv = p11->C_FindObjects(session, objects.data(), objects.size(), &count);
    p11->C_FindObjectsFinal(session);
    if (rv != CKR_OK) return Unavailable("cannot search the token", rv);
    if (count != 1) {
      return MakeError("notFound", std::string("PKCS#11: ") +
                                       (count == 0 ? "no " : "more than one ") + what +
                                       " labelled \"" + key_label + "\" in token \"" +
                                       token_label + "\"");
    }
    return objects[0];
  }

  Status CheckEdwardsKey(CK_OBJECT_HANDLE object, const char* what) {
    CK_KEY_TYPE type = 0;
    CK_ATTRIBUTE attribute = {CKA_KEY_TYPE, &type, sizeof type};
    const CK_RV rv = p11->C_GetAttributeValue(session, object, &attribute, 1);
    if (rv != CKR_OK) return Unavailable(std::string("cannot read the ") + what + "'s type", rv);
    if (type != CKK_EC_EDWARDS) {
      return MakeError("invalidKey", std::string("PKCS#11: the ") + what + " \"" + key_label +
                                         "\" is not an Ed25519 (CKK_EC_EDWARDS) key");
    }
    return {};
  }

  // CKA_EC_POINT of the public key: a DER OCTET STRING holding the 32-byte RFC 8032 key
  // (PKCS#11 v3.0 §2.3.6), or those 32 bytes bare, as some tokens store it.
  Result<crypto::VerifyingKey> ReadPublicKey(CK_OBJECT_HANDLE object) {
    CK_ATTRIBUTE attribute = {CKA_EC_POINT, nullptr, 0};
    CK_RV rv = p11->C_GetAttributeValue(session, object, &attribute, 1);
    if (rv != CKR_OK) return Unavailable("cannot read the public key's CKA_EC_POINT", rv);
    if (attribute.ulValueLen > 64) {
      return MakeError("invalidKey", "PKCS#11: the public key \"" + key_label +
                                         "\" has an oversized CKA_EC_POINT");
    }
    Bytes point(attribute.ulValueLen);
    attribute.pValue = point.data();
    rv = p11->C_GetAttributeValue(session, object, &attribute, 1);
    if (rv != CKR_OK) return Unavailable("cannot read the public key's CKA_EC_POINT", rv);
    point.resize(attribute.ulValueLen);
    ByteView key = point;
    if (point.size() == 2 + crypto::VerifyingKey::kSize && point[0] == 0x04 &&
        point[1] == crypto::VerifyingKey::kSize) {
      key = key.subspan(2);
    }
    auto parsed = crypto::VerifyingKey::Create(key);
    if (!parsed.ok()) {
      return MakeError("invalidKey", "PKCS#11: the public key \"" + key_label +
                                         "\" is not a valid Ed25519 key");
    }
    return parsed;
  }

  // Opens a session, logs in and finds the keys; afterwards has_session is true. Requires
  // mutex (or exclusive ownership).
  Status Connect() {
    CloseSession();
    Result<CK_SLOT_ID> found = FindToken();
    // Reconnecting to a token that went away: the module may need to look for it again.
    if (!found.ok() && public_key && ReinitializeSoleModule(p11, module_path)) found = FindToken();
    TILLIT_TRY_ASSIGN(CK_SLOT_ID slot, std::move(found));
    const CK_RV rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session);
    if (rv != CKR_OK) return Unavailable("cannot open a session with token \"" + token_label + "\"", rv);
    has_session = true;
    Status connected = [&]() -> Status {
      TILLIT_TRY(Login());
      TILLIT_TRY_ASSIGN(private_key, FindKey(CKO_PRIVATE_KEY, "private key"));
      TILLIT_TRY(CheckEdwardsKey(private_key, "private key"));
      TILLIT_TRY_ASSIGN(CK_OBJECT_HANDLE public_object, FindKey(CKO_PUBLIC_KEY, "public key"));
      TILLIT_TRY(CheckEdwardsKey(public_object, "public key"));
      TILLIT_TRY_ASSIGN(crypto::VerifyingKey key, ReadPublicKey(public_object));
      // Set once: verifying_key() reads it without the mutex.
      if (!public_key) {
        public_key = key;
      } else if (!(*public_key == key)) {
        return MakeError("signerFailed", "PKCS#11: the key labelled \"" + key_label +
                                             "\" changed while the issuer ran");
      }
      return {};
    }();
    if (!connected.ok()) CloseSession();
    return connected;
  }

  // One C_SignInit + C_Sign. Requires mutex and a session.
  CK_RV SignOnce(ByteView message, std::array<uint8_t, crypto::Signature::kSize>& out,
                 CK_ULONG& length) {
    // No parameters: pure Ed25519 (PKCS#11 v3.0 §2.3.14), not Ed25519ph or Ed25519ctx.
    CK_MECHANISM mechanism = {CKM_EDDSA, nullptr, 0};
    CK_RV rv = p11->C_SignInit(session, &mechanism, private_key);
    if (rv != CKR_OK) return rv;
    length = out.size();
    return p11->C_Sign(session, const_cast<CK_BYTE_PTR>(message.data()), message.size(),
                       out.data(), &length);
  }

  // Connect() for SignLocked: a failure starts the back-off (kReconnectBackoff).
  Status Reconnect() {
    Status connected = Connect();
    if (connected.ok()) {
      reconnect_failed_at.reset();
    } else {
      reconnect_failed_at = std::chrono::steady_clock::now();
    }
    return connected;
  }

  // Requires mutex.
  Result<crypto::Signature> SignLocked(ByteView message) {
    if (!has_session) {
      if (reconnect_failed_at &&
          std::chrono::steady_clock::now() - *reconnect_failed_at < kReconnectBackoff) {
        return MakeError("signerUnavailable",
                         "PKCS#11 token unreachable: the last attempt to reconnect failed less "
                         "than " + std::to_string(kReconnectBackoff.count()) + " s ago");
      }
      Status connected = Reconnect();
      if (!connected.ok()) {
        return MakeError("signerUnavailable", "PKCS#11 token unreachable: " +
                                                  connected.error().message);
      }
    }
    std::array<uint8_t, crypto::Signature::kSize> out{};
    CK_ULONG length = 0;
    CK_RV rv = SignOnce(message, out, length);
    if (rv != CKR_OK && !IsSessionLoss(rv)) {
      return Unavailable("token \"" + token_label + "\" refused to sign", rv);
    }
    if (rv != CKR_OK) {
      // The session has gone with the token (removed, HSM restarted, network HSM
      // reconnected): reconnect once. Signing twice is harmless (Ed25519 is deterministic).
      Status connected = Reconnect();
      if (!connected.ok()) {
        return MakeError("signerUnavailable", "PKCS#11 signing failed (" + RvText(rv) +
                                                  ") and the token is unreachable: " +
                                                  connected.error().message);
      }
      rv = SignOnce(message, out, length);
      if (rv != CKR_OK) return Unavailable("token \"" + token_label + "\" refused to sign", rv);
    }
    // A token that claims another length than it was given room for is broken; `length`
    // must not reach past `out`.
    if (length != out.size()) {
      return MakeError("signerFailed", "PKCS#11: token \"" + token_label + "\" returned a " +
                                           std::to_string(length) + "-byte signature, not " +
                                           std::to_string(out.size()));
    }
    auto signature = crypto::Signature::Parse(out);
    if (!signature.ok() || !public_key->Verify(message, *signature).ok()) {
      return MakeError("signerFailed", "PKCS#11: token \"" + token_label +
                                           "\" returned a signature that does not verify under "
                                           "the public key \"" + key_label + "\"");
    }
    return signature;
  }
};

Pkcs11Signer::Pkcs11Signer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Pkcs11Signer::~Pkcs11Signer() = default;

Result<std::unique_ptr<Pkcs11Signer>> Pkcs11Signer::Open(const Pkcs11KeyOptions& options) {
  if (options.module_path.empty() || options.token_label.empty() || options.key_label.empty() ||
      options.pin.empty()) {
    return MakeError("invalidParameters",
                     "PKCS#11: the module, token label, key label and PIN are all required");
  }
  auto state = std::make_unique<State>();
  TILLIT_TRY_ASSIGN(state->p11, AcquireModule(options.module_path));
  state->module_path = options.module_path;
  state->token_label = options.token_label;
  state->key_label = options.key_label;
  state->pin = crypto::SecretBytes::CopyFrom(options.pin.Expose(InsecureSecretAccess::Get()),
                                             InsecureSecretAccess::Get());
  {
    std::lock_guard lock(state->mutex);
    TILLIT_TRY(state->Connect());
    // Also proves that the token signs pure Ed25519 and that the public key object belongs
    // to the private key: a token cannot be half right and pass.
    auto signed_test = state->SignLocked(AsBytes(kSelfTestMessage));
    if (!signed_test.ok()) return std::move(signed_test).error();
  }
  return std::unique_ptr<Pkcs11Signer>(new Pkcs11Signer(std::move(state)));
}

const crypto::VerifyingKey& Pkcs11Signer::verifying_key() const { return *state_->public_key; }

Result<crypto::Signature> Pkcs11Signer::Sign(ByteView message) const {
  auto signature = [&]() -> Result<crypto::Signature> {
    std::unique_lock lock(state_->mutex, kSignLockTimeout);  // try_lock_for
    if (!lock.owns_lock()) {
      return MakeError("signerUnavailable",
                       "PKCS#11: the token has not finished another signature in " +
                           std::to_string(kSignLockTimeout.count()) + " s (a hung token?)");
    }
    return state_->SignLocked(message);
  }();
  if (signature.ok()) return signature;
  // The detail is for the operator, on the server's stderr (it holds no PIN). Callers pass
  // errors on to clients (503 for signerUnavailable, with its message), who get only this.
  const Error& error = signature.error();
  std::fprintf(stderr, "tillit-server: CA signer: %s: %s\n", error.code.c_str(),
               error.message.c_str());
  std::fflush(stderr);
  return MakeError(error.code, error.code == "signerFailed"
                                   ? "the CA key's token returned a bad signature"
                                   : "the CA key's token is unavailable; try again later");
}

}  // namespace tillit::service
