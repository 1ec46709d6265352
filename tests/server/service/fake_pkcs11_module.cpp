// The fake PKCS#11 module of fake_pkcs11.h: just the calls Pkcs11Signer makes, over one
// in-memory token with a fixed Ed25519 key pair (signed with OpenSSL). Every other entry
// of the function list is null. Thread-safe: one mutex around all state; C_Sign sleeps
// (sign_delay_ms) outside it, as a hung device would.
#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_pkcs11.h"

namespace {

using tillit::testing::FakePkcs11Control;
using tillit::testing::kFakeKey;
using tillit::testing::kFakePin;
using tillit::testing::kFakeToken;

FakePkcs11Control g_control;

constexpr CK_OBJECT_HANDLE kPrivateKey = 1;
constexpr CK_OBJECT_HANDLE kPublicKey = 2;

struct SessionState {
  unsigned generation = 0;  // the token's life it was opened in
  bool signing = false;
  std::vector<CK_OBJECT_HANDLE> found;
};

std::mutex g_mutex;
std::map<CK_SESSION_HANDLE, SessionState> g_sessions;
CK_SESSION_HANDLE g_next_session = 1;
bool g_logged_in = false;
unsigned g_generation = 0;  // +1 whenever the token goes away
bool g_was_present = true;

std::shared_ptr<EVP_PKEY> Key() {
  static const std::shared_ptr<EVP_PKEY> key = [] {
    std::array<unsigned char, 32> seed{};
    seed.fill(0x5a);
    return std::shared_ptr<EVP_PKEY>(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
        EVP_PKEY_free);
  }();
  return key;
}

std::array<unsigned char, 32> PublicKey() {
  std::array<unsigned char, 32> out{};
  size_t length = out.size();
  EVP_PKEY_get_raw_public_key(Key().get(), out.data(), &length);
  return out;
}

// Requires g_mutex. A removed token ends its sessions and the login.
void NoticeToken() {
  const bool present = g_control.token_present.load();
  if (g_was_present && !present) {
    ++g_generation;
    g_logged_in = false;
  }
  g_was_present = present;
}

// Requires g_mutex.
CK_RV CheckSession(CK_SESSION_HANDLE session) {
  if (!g_control.initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  NoticeToken();
  auto it = g_sessions.find(session);
  if (it == g_sessions.end()) return CKR_SESSION_HANDLE_INVALID;
  if (!g_control.token_present) return CKR_DEVICE_REMOVED;
  if (it->second.generation != g_generation) return CKR_SESSION_HANDLE_INVALID;
  return CKR_OK;
}

std::vector<CK_SLOT_ID> Slots() {
  if (!g_control.token_present) return {};
  if (g_control.second_token) return {1, 2};
  return {1};
}

CK_RV Initialize(CK_VOID_PTR) {
  std::lock_guard lock(g_mutex);
  if (g_control.initialized) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  g_control.initialized = true;
  ++g_control.initialize_calls;
  return CKR_OK;
}

CK_RV Finalize(CK_VOID_PTR) {
  std::lock_guard lock(g_mutex);
  if (!g_control.initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  g_control.initialized = false;
  ++g_control.finalize_calls;
  g_sessions.clear();
  g_logged_in = false;
  return CKR_OK;
}

CK_RV GetSlotList(CK_BBOOL, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  std::lock_guard lock(g_mutex);
  if (!g_control.initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  ++g_control.get_slot_list_calls;
  const std::vector<CK_SLOT_ID> slots = Slots();
  if (list == nullptr) {
    *count = slots.size();
    return CKR_OK;
  }
  if (g_control.slot_list_too_small > 0) {
    --g_control.slot_list_too_small;
    *count = slots.size() + 1;  // a token appeared since the count
    return CKR_BUFFER_TOO_SMALL;
  }
  if (*count < slots.size()) {
    *count = slots.size();
    return CKR_BUFFER_TOO_SMALL;
  }
  std::copy(slots.begin(), slots.end(), list);
  *count = slots.size();
  return CKR_OK;
}

CK_RV GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  std::lock_guard lock(g_mutex);
  if (!g_control.initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  const std::vector<CK_SLOT_ID> slots = Slots();
  if (std::find(slots.begin(), slots.end(), slot) == slots.end()) return CKR_TOKEN_NOT_PRESENT;
  *info = CK_TOKEN_INFO{};
  std::memset(info->label, ' ', sizeof info->label);
  std::memcpy(info->label, kFakeToken, std::strlen(kFakeToken));
  info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
  return CKR_OK;
}

CK_RV OpenSession(CK_SLOT_ID slot, CK_FLAGS, CK_VOID_PTR, CK_NOTIFY, CK_SESSION_HANDLE_PTR out) {
  std::lock_guard lock(g_mutex);
  if (!g_control.initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  NoticeToken();
  const std::vector<CK_SLOT_ID> slots = Slots();
  if (std::find(slots.begin(), slots.end(), slot) == slots.end()) return CKR_TOKEN_NOT_PRESENT;
  *out = g_next_session++;
  g_sessions[*out].generation = g_generation;
  return CKR_OK;
}

CK_RV CloseSession(CK_SESSION_HANDLE session) {
  std::lock_guard lock(g_mutex);
  if (!g_control.initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (g_sessions.erase(session) == 0) return CKR_SESSION_HANDLE_INVALID;
  if (g_sessions.empty()) g_logged_in = false;  // the application's last session
  return CKR_OK;
}

CK_RV Login(CK_SESSION_HANDLE session, CK_USER_TYPE, CK_UTF8CHAR_PTR pin, CK_ULONG length) {
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  ++g_control.login_calls;
  if (std::string(reinterpret_cast<const char*>(pin), length) != kFakePin) return CKR_PIN_INCORRECT;
  if (g_logged_in) return CKR_USER_ALREADY_LOGGED_IN;
  g_logged_in = true;
  return CKR_OK;
}

CK_RV FindObjectsInit(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR query, CK_ULONG count) {
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  std::optional<CK_OBJECT_CLASS> object_class;
  std::optional<std::string> label;
  for (CK_ULONG i = 0; i < count; ++i) {
    if (query[i].type == CKA_CLASS) {
      object_class = *static_cast<CK_OBJECT_CLASS*>(query[i].pValue);
    } else if (query[i].type == CKA_LABEL) {
      label = std::string(static_cast<const char*>(query[i].pValue), query[i].ulValueLen);
    }
  }
  std::vector<CK_OBJECT_HANDLE>& found = g_sessions[session].found;
  found.clear();
  if (label && *label != kFakeKey) return CKR_OK;
  if (!object_class || *object_class == CKO_PRIVATE_KEY) {
    if (g_logged_in) found.push_back(kPrivateKey);
  }
  if (!object_class || *object_class == CKO_PUBLIC_KEY) found.push_back(kPublicKey);
  return CKR_OK;
}

CK_RV FindObjects(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                  CK_ULONG_PTR count) {
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  std::vector<CK_OBJECT_HANDLE>& found = g_sessions[session].found;
  *count = 0;
  while (*count < max && !found.empty()) {
    out[(*count)++] = found.front();
    found.erase(found.begin());
  }
  return CKR_OK;
}

CK_RV FindObjectsFinal(CK_SESSION_HANDLE session) {
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  g_sessions[session].found.clear();
  return CKR_OK;
}

CK_RV GetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                        CK_ATTRIBUTE_PTR attributes, CK_ULONG count) {
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  if (object != kPrivateKey && object != kPublicKey) return CKR_OBJECT_HANDLE_INVALID;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_ATTRIBUTE& attribute = attributes[i];
    if (attribute.type == CKA_KEY_TYPE) {
      const CK_KEY_TYPE type = CKK_EC_EDWARDS;
      if (attribute.pValue != nullptr) std::memcpy(attribute.pValue, &type, sizeof type);
      attribute.ulValueLen = sizeof type;
    } else if (attribute.type == CKA_EC_POINT && object == kPublicKey) {
      std::vector<unsigned char> point = {0x04, 32};
      const auto key = PublicKey();
      point.insert(point.end(), key.begin(), key.end());
      if (attribute.pValue != nullptr) {
        if (attribute.ulValueLen < point.size()) return CKR_BUFFER_TOO_SMALL;
        std::memcpy(attribute.pValue, point.data(), point.size());
      }
      attribute.ulValueLen = point.size();
    } else {
      return CKR_ATTRIBUTE_TYPE_INVALID;
    }
  }
  return CKR_OK;
}

CK_RV SignInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  if (!g_logged_in) return CKR_USER_NOT_LOGGED_IN;
  if (mechanism->mechanism != CKM_EDDSA) return CKR_MECHANISM_INVALID;
  if (key != kPrivateKey) return CKR_KEY_HANDLE_INVALID;
  SessionState& state = g_sessions[session];
  if (state.signing) return CKR_OPERATION_ACTIVE;
  state.signing = true;
  return CKR_OK;
}

CK_RV Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_length,
           CK_BYTE_PTR signature, CK_ULONG_PTR signature_length) {
  ++g_control.sign_calls;
  if (const int delay = g_control.sign_delay_ms.load(); delay > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
  std::lock_guard lock(g_mutex);
  if (CK_RV rv = CheckSession(session); rv != CKR_OK) return rv;
  SessionState& state = g_sessions[session];
  if (!state.signing) return CKR_OPERATION_NOT_INITIALIZED;
  state.signing = false;  // any answer but CKR_BUFFER_TOO_SMALL ends the operation
  if (g_control.sign_failures > 0) {
    --g_control.sign_failures;
    return g_control.sign_rv.load();
  }
  if (*signature_length < 64) return CKR_BUFFER_TOO_SMALL;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t length = 64;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, Key().get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &length, data, data_length) != 1) {
    return CKR_FUNCTION_FAILED;
  }
  *signature_length = g_control.signature_length.load();
  return CKR_OK;
}

CK_FUNCTION_LIST MakeFunctionList() {
  CK_FUNCTION_LIST list{};
  list.version = {2, 40};
  list.C_Initialize = Initialize;
  list.C_Finalize = Finalize;
  list.C_GetSlotList = GetSlotList;
  list.C_GetTokenInfo = GetTokenInfo;
  list.C_OpenSession = OpenSession;
  list.C_CloseSession = CloseSession;
  list.C_Login = Login;
  list.C_FindObjectsInit = FindObjectsInit;
  list.C_FindObjects = FindObjects;
  list.C_FindObjectsFinal = FindObjectsFinal;
  list.C_GetAttributeValue = GetAttributeValue;
  list.C_SignInit = SignInit;
  list.C_Sign = Sign;
  return list;
}

CK_FUNCTION_LIST g_functions = MakeFunctionList();

}  // namespace

extern "C" {

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (list == nullptr) return CKR_ARGUMENTS_BAD;
  *list = &g_functions;
  return CKR_OK;
}

__attribute__((visibility("default"))) tillit::testing::FakePkcs11Control*
tillit_fake_pkcs11_control() {
  return &g_control;
}

}  // extern "C"
