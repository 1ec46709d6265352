// A fake PKCS#11 module for pkcs11_signer_test.cpp (fake_pkcs11_module.cpp, built as the
// shared library tillit_fake_pkcs11): one Ed25519 key pair "ca" in a token "fake-token"
// with user PIN kFakePin, and the faults a real token has and SoftHSM2 cannot be made to
// show on demand: a hung C_Sign, chosen error codes, a wrong signature length, a token
// removed and reinserted, two tokens with one label, a slot list that grows between its
// two calls, a module another library initialised first. The test reaches the control
// block with dlopen() of the same path (one library, one block) and
// dlsym("tillit_fake_pkcs11_control").
#pragma once

#include <atomic>

namespace tillit::testing {

inline constexpr const char* kFakeToken = "fake-token";
inline constexpr const char* kFakeKey = "ca";
inline constexpr const char* kFakePin = "fake-pin-0417";

struct FakePkcs11Control {
  // What the module does (set by the test; Reset() restores these defaults).
  std::atomic<bool> token_present{true};
  std::atomic<bool> second_token{false};        // a second slot with a token of the same label
  std::atomic<int> slot_list_too_small{0};      // the next N fetches answer CKR_BUFFER_TOO_SMALL
  std::atomic<int> sign_failures{0};            // the next N C_Sign calls answer sign_rv...
  std::atomic<unsigned long> sign_rv{0};        // ...this code
  std::atomic<int> sign_delay_ms{0};            // C_Sign sleeps this long first
  std::atomic<unsigned long> signature_length{64};  // the length C_Sign reports

  // What the module saw.
  std::atomic<bool> initialized{false};
  std::atomic<int> initialize_calls{0};
  std::atomic<int> finalize_calls{0};
  std::atomic<int> get_slot_list_calls{0};
  std::atomic<int> login_calls{0};
  std::atomic<int> sign_calls{0};  // C_Sign entered

  void Reset() {
    token_present = true;
    second_token = false;
    slot_list_too_small = 0;
    sign_failures = 0;
    sign_rv = 0;
    sign_delay_ms = 0;
    signature_length = 64;
    initialize_calls = 0;
    finalize_calls = 0;
    get_slot_list_calls = 0;
    login_calls = 0;
    sign_calls = 0;
  }
};

}  // namespace tillit::testing

extern "C" {
// Exported by the module.
using TillitFakePkcs11ControlFn = tillit::testing::FakePkcs11Control* (*)();
}
