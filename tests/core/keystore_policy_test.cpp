// Tests for the PIN policy in tillit/keystore.h (ValidateNewPin): every block-list entry,
// every rule (one digit repeated, runs up and down with wrap-around, repeated blocks) at
// several lengths, the character and length limits, and PINs that must be accepted.
#include <doctest/doctest.h>

#include <string>

#include "tillit/keystore.h"

using namespace tillit;

namespace {

std::string Code(std::string_view pin) {
  const Status status = ValidateNewPin(pin);
  return status.ok() ? "ok" : status.error().code;
}

}  // namespace

TEST_CASE("ValidateNewPin: the required block-list entries are rejected") {
  // The list from the issue; each must be refused whether or not a rule also covers it.
  const std::string_view required[] = {
      "123456",   "654321",    "000000",     "111111", "222222", "333333", "444444",
      "555555",   "666666",    "777777",     "888888", "999999", "121212", "112233",
      "123123",   "159753",    "123321",     "696969", "101010", "131313", "520520",
      "147258",   "789456",    "1234567",    "12345678", "123456789", "1234567890"};
  for (std::string_view pin : required) {
    INFO(pin);
    CHECK(Code(pin) == "pinTooCommon");
  }
}

TEST_CASE("ValidateNewPin: every entry of PinBlockList() is rejected") {
  CHECK(PinBlockList().size() >= 20);
  for (std::string_view pin : PinBlockList()) {
    INFO(pin);
    CHECK(pin.size() >= kMinPinLength);  // shorter entries would be dead weight
    CHECK(Code(pin) == "pinTooCommon");
  }
}

TEST_CASE("ValidateNewPin: one digit repeated, at any length") {
  for (char digit = '0'; digit <= '9'; ++digit) {
    for (size_t length : {size_t{6}, size_t{7}, size_t{8}, size_t{13}, kMaxPinLength}) {
      const std::string pin(length, digit);
      INFO(pin);
      CHECK(Code(pin) == "pinTooCommon");
    }
  }
}

TEST_CASE("ValidateNewPin: runs of consecutive digits, up or down, wrapping 9-0") {
  for (int start = 0; start <= 9; ++start) {
    for (size_t length : {size_t{6}, size_t{7}, size_t{9}, size_t{10}, size_t{12}, size_t{23}}) {
      std::string up, down;
      for (size_t i = 0; i < length; ++i) {
        up += static_cast<char>('0' + (start + static_cast<int>(i)) % 10);
        down += static_cast<char>('0' + (start + 100 - static_cast<int>(i)) % 10);
      }
      INFO(up << " / " << down);
      CHECK(Code(up) == "pinTooCommon");
      CHECK(Code(down) == "pinTooCommon");
    }
  }
  CHECK(Code("234567") == "pinTooCommon");
  CHECK(Code("987654") == "pinTooCommon");
  CHECK(Code("8901234") == "pinTooCommon");
  CHECK(Code("0987654321") == "pinTooCommon");
}

TEST_CASE("ValidateNewPin: a shorter block repeated") {
  for (std::string_view pin : {"121212", "909090", "123123", "520520", "472472", "12341234",
                               "4711471147114711", "35353535", "1020310203"}) {
    INFO(pin);
    CHECK(Code(pin) == "pinTooCommon");
  }
}

TEST_CASE("ValidateNewPin: too short, not digits, too long") {
  for (std::string_view pin : {"", "4", "47", "471", "4719", "47192"}) {
    INFO(pin);
    CHECK(Code(pin) == "pinTooShort");
  }
  for (std::string_view pin :
       {"47192a", "abcdef", "ABCDEF", "4719 28", " 471928", "471928\n", "4719-28", "+471928",
        "47.1928", "\xd9\xa4\xd9\xa7\xd9\xa1\xd9\xa9\xd9\xa2\xd9\xa8",  // Arabic-Indic digits
        "\xef\xbc\x94\xef\xbc\x97\xef\xbc\x91\xef\xbc\x99\xef\xbc\x92\xef\xbc\x98"}) {  // fullwidth
    INFO(pin);
    CHECK(Code(pin) == "pinNotDigits");
  }
  CHECK(Code(std::string_view("471\0928", 7)) == "pinNotDigits");
  CHECK(Code("abc") == "pinNotDigits");  // characters are checked before length

  std::string longest;
  while (longest.size() < kMaxPinLength) longest += "4719283";
  longest.resize(kMaxPinLength);
  CHECK(Code(longest) == "ok");
  CHECK(Code(longest + "5") == "pinTooLong");
  CHECK(Code(std::string(1000, 'x')) == "pinTooLong");
}

TEST_CASE("ValidateNewPin: ordinary PINs are accepted") {
  for (std::string_view pin : {"471928", "839105", "302718", "1234568", "9876540", "12345670",
                               "1212123", "11223345", "0471928", "5205201", "90817263"}) {
    INFO(pin);
    CHECK(Code(pin) == "ok");
  }
}

TEST_CASE("kMaxPinAttempts is 5 (the issue) and within SP 800-63B / design.md limits") {
  CHECK(kMaxPinAttempts == 5);
  CHECK(kMinPinLength == 6);
  CHECK(kMaxPinLength == 64);
}
