// Router: literal and captured segments, first-match precedence, 404 and 405 with Allow.
#include "tillit/server/api/router.h"

#include <doctest/doctest.h>

#include <string>

#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

HttpResponse Text(std::string body) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

HttpRequest Request(std::string method, std::string path) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

std::string ErrorCodeOf(const HttpResponse& response) {
  return web::json::value::parse(response.body).at("errorCode").as_string();
}

Router MakeRouter() {
  Router router;
  router.Add("POST", "/rp/v1/auth", [](HttpRequest&) { return Text("auth"); });
  router.Add("POST", "/rp/v1/collect", [](HttpRequest&) { return Text("collect"); });
  router.Add("GET", "/desk/v1/enrolments/new", [](HttpRequest&) { return Text("new form"); });
  router.Add("GET", "/desk/v1/enrolments/{id}", [](HttpRequest& r) { return Text("get " + r.path_params.at("id")); });
  router.Add("DELETE", "/desk/v1/enrolments/{id}", [](HttpRequest& r) { return Text("delete " + r.path_params.at("id")); });
  router.Add("POST", "/desk/v1/enrolments/{id}/approve",
             [](HttpRequest& r) { return Text("approve " + r.path_params.at("id")); });
  router.Add("GET", "/desk/v1/enrolments/{id}/evidence/{item}", [](HttpRequest& r) {
    return Text(r.path_params.at("id") + "/" + r.path_params.at("item"));
  });
  router.Add("GET", "/", [](HttpRequest&) { return Text("root"); });
  return router;
}

TEST_CASE("literal routes match exactly") {
  const Router router = MakeRouter();
  auto request = Request("POST", "/rp/v1/auth");
  CHECK(router.Dispatch(request).body == "auth");
  request = Request("POST", "/rp/v1/collect");
  CHECK(router.Dispatch(request).body == "collect");
  request = Request("GET", "/");
  CHECK(router.Dispatch(request).body == "root");
}

TEST_CASE("captures fill path_params") {
  const Router router = MakeRouter();
  auto request = Request("POST", "/desk/v1/enrolments/E42/approve");
  CHECK(router.Dispatch(request).body == "approve E42");
  CHECK(request.path_params.size() == 1);
  CHECK(request.path_params.at("id") == "E42");

  request = Request("GET", "/desk/v1/enrolments/E7/evidence/passport");
  CHECK(router.Dispatch(request).body == "E7/passport");
  CHECK(request.path_params.at("item") == "passport");
}

TEST_CASE("the first route added wins where a literal and a capture overlap") {
  const Router router = MakeRouter();
  auto request = Request("GET", "/desk/v1/enrolments/new");
  CHECK(router.Dispatch(request).body == "new form");
  CHECK(request.path_params.empty());
}

TEST_CASE("unknown paths are 404 notFound") {
  const Router router = MakeRouter();
  for (const char* path : {"/nope", "/rp/v1/auth/", "/rp/v1", "/rp/v1/auth/extra", "//rp/v1/auth",
                           "/desk/v1/enrolments//approve", "/desk/v1/enrolments/", "", "rp/v1/auth"}) {
    CAPTURE(path);
    auto request = Request("POST", path);
    const HttpResponse response = router.Dispatch(request);
    CHECK(response.status == 404);
    CHECK(response.content_type == "application/json");
    CHECK(ErrorCodeOf(response) == "notFound");
  }
}

TEST_CASE("a known path with the wrong method is 405 with Allow") {
  const Router router = MakeRouter();
  auto request = Request("PUT", "/desk/v1/enrolments/E1");
  const HttpResponse response = router.Dispatch(request);
  CHECK(response.status == 405);
  CHECK(ErrorCodeOf(response) == "methodNotAllowed");
  REQUIRE(response.headers.size() == 1);
  CHECK(response.headers[0].first == "Allow");
  CHECK(response.headers[0].second == "DELETE, GET");

  request = Request("GET", "/rp/v1/auth");
  const HttpResponse auth = router.Dispatch(request);
  CHECK(auth.status == 405);
  CHECK(auth.headers.at(0).second == "POST");

  // Methods are case-sensitive (RFC 9110 §9.1).
  request = Request("post", "/rp/v1/auth");
  CHECK(router.Dispatch(request).status == 405);
}

TEST_CASE("a Router can be the server's Handler") {
  Handler handler = MakeRouter();
  auto request = Request("DELETE", "/desk/v1/enrolments/X9");
  CHECK(handler(request).body == "delete X9");
}

TEST_CASE("an empty router answers 404") {
  const Router router;
  auto request = Request("GET", "/");
  CHECK(router.Dispatch(request).status == 404);
}

}  // namespace
}  // namespace tillit::server::api
