// The device's history API (docs/protocol.md §9): POST /device/v1/history/challenge and
// POST /device/v1/history. No bearer token: the device proves possession of its
// credential's key by signing the nonce.
//
// Thread safety: the handlers are thread-safe; the service must outlive the router.
#pragma once

#include "tillit/server/api/router.h"
#include "tillit/service/history_service.h"

namespace tillit::server::api {

void AddHistoryRoutes(Router& router, service::HistoryService& history);

}  // namespace tillit::server::api
