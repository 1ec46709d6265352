// SerialBlock validation (docs/identifier.md §6).
#include "tillit/identifier/serial_block.h"

#include <string>

#include "tillit/identifier/identifier.h"

namespace tillit::identifier {

Result<SerialBlock> SerialBlock::Create(uint64_t first, uint64_t count) {
  if (count == 0) return MakeError("emptySerialBlock", "a serial block holds at least one serial");
  if (first >= kPayloadCount || count > kPayloadCount - first) {
    return MakeError("serialOutOfRange", "serial block [" + std::to_string(first) + ", +" +
                                             std::to_string(count) + ") exceeds the capacity " +
                                             std::to_string(kPayloadCount));
  }
  return SerialBlock(first, count);
}

}  // namespace tillit::identifier
