// protocol::HistorySignedMessage (docs/protocol.md §9): the documented bytes, and refusals of
// a nonce or serial of the wrong shape.
#include "tillit/protocol/history.h"

#include <doctest/doctest.h>

#include <string>

namespace tillit::protocol {
namespace {

TEST_CASE("the history message is context, nonce and serial") {
  const Bytes nonce(32, 0x5a);
  const std::string serial = "00112233445566778899aabbccddeeff";
  auto message = HistorySignedMessage(nonce, serial);
  REQUIRE(message.ok());
  REQUIRE(message->size() == 18 + 32 + 32);
  CHECK(std::string(message->begin(), message->begin() + 18) ==
        std::string("tillit-history-v1\0", 18));
  CHECK(Bytes(message->begin() + 18, message->begin() + 50) == nonce);
  CHECK(std::string(message->begin() + 50, message->end()) == serial);
  std::string nonce_hex;
  for (int i = 0; i < 32; ++i) nonce_hex += "5a";
  CHECK(HexEncode(*message) ==
        "74696c6c69742d686973746f72792d763100" + nonce_hex + HexEncode(AsBytes(serial)));
}

TEST_CASE("the history message refuses malformed inputs") {
  const std::string serial = "00112233445566778899aabbccddeeff";
  CHECK_FALSE(HistorySignedMessage(Bytes(31, 0), serial).ok());
  CHECK_FALSE(HistorySignedMessage(Bytes(33, 0), serial).ok());
  CHECK_FALSE(HistorySignedMessage(Bytes(32, 0), serial.substr(1)).ok());
  CHECK_FALSE(HistorySignedMessage(Bytes(32, 0), serial + "0").ok());
  CHECK_FALSE(HistorySignedMessage(Bytes(32, 0), "00112233445566778899AABBCCDDEEFF").ok());
  CHECK_FALSE(HistorySignedMessage(Bytes(32, 0), "00112233445566778899aabbccddeefg").ok());
}

}  // namespace
}  // namespace tillit::protocol
