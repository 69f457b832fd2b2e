// A whole HTTP request (method, target, headers, body) as bytes off the wire: parsed with
// the server's own parser and limits, then answered by the router against a temporary
// SQLite store that has an admin, whose token the request carries unless it brings an
// Authorization header of its own, and a portfolio, whose id replaces every "@P@" in the
// target and the body (so that seeds can update, delete and read an entity that exists). Whatever
// arrives, the router answers; a 500 (what the router gives for a bug of ours) is a finding.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/admin_bootstrap.h"
#include "commands/command_handler.h"
#include "commands/passwords.h"
#include "commands/queries.h"
#include "http/auth.h"
#include "http/idempotency.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "http/router.h"
#include "store/event_store.h"
#include "store/migrator.h"

using namespace folio;
namespace beast_http = boost::beast::http;

namespace {

std::string the_dir;  // removed at exit

// One store and one admin for the whole run: every input adds to the same plan, as a
// long-lived server's requests do.
struct Folio {
  std::string dir;
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<commands::CommandHandler> handler;
  std::unique_ptr<commands::EntityQueries> queries;
  std::unique_ptr<http::AuthService> auth;
  http::Metrics metrics;
  std::unique_ptr<http::Services> services;
  std::unique_ptr<http::IdempotencyKeys> idempotency;
  std::string bearer;
  std::string portfolio_id;

  Folio() {
    spdlog::set_level(spdlog::level::off);
    char pattern[] = "/tmp/folio-fuzz-XXXXXX";
    dir = mkdtemp(pattern);
    std::atexit([] { std::filesystem::remove_all(the_dir); });
    the_dir = dir;
    const std::string url = "sqlite://" + dir + "/folio.db";
    store::Migrator(*store::open_migration_target(url)).up();
    store = store::open_event_store(url, {});
    handler = std::make_unique<commands::CommandHandler>(
        *store, commands::PasswordPolicy::fast_for_tests());
    queries = std::make_unique<commands::EntityQueries>(*store);
    auth = std::make_unique<http::AuthService>(*store, std::chrono::hours(1), http::LoginLimits{});
    services = std::make_unique<http::Services>(
        http::Services{*store, *handler, *queries, *auth, metrics,
                       boost::json::serialize(http::openapi_document()), dir + "/web"});
    idempotency = std::make_unique<http::IdempotencyKeys>(*store, std::chrono::hours(24));
    services->idempotency = idempotency.get();  // Idempotency-Key headers are fuzzed too
    cli::create_admin(*handler, {"admin", "admin-password-1", ""});
    const auto login = auth->log_in("admin", "admin-password-1", "127.0.0.1");
    if (!login.token) std::abort();
    bearer = "Bearer " + login.token->access_token;
    http::Request create{beast_http::verb::post, "/api/v1/portfolios", 11};
    create.set(beast_http::field::authorization, bearer);
    create.set(beast_http::field::content_type, "application/json");
    create.body() = R"({"name":"Fuzzed","description":"d","owner":"o",)"
                    R"("reporting_start_date":"2026-01-01","reporting_end_date":"2026-12-31"})";
    create.prepare_payload();
    http::RouteInfo info;
    const auto created = http::handle_request(create, "seed", "127.0.0.1", *services, info);
    if (created.result_int() != 201) std::abort();
    portfolio_id = std::string(boost::json::parse(created.body()).at("id").as_string());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Folio folio;
  beast_http::request_parser<beast_http::string_body> parser;
  parser.body_limit(1 << 20);  // the server's defaults (http/server.h)
  parser.header_limit(16 << 10);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;  // the server answers 400/413/431 before routing
  http::Request request = parser.release();
  const auto with_portfolio = [&](std::string text) {
    for (auto at = text.find("@P@"); at != std::string::npos; at = text.find("@P@", at)) {
      text.replace(at, 3, folio.portfolio_id);
    }
    return text;
  };
  request.target(with_portfolio(std::string(request.target())));
  if (request.body().find("@P@") != std::string::npos) {
    request.body() = with_portfolio(std::move(request.body()));
    request.prepare_payload();
  }
  if (request.find(beast_http::field::authorization) == request.end()) {
    request.set(beast_http::field::authorization, folio.bearer);
  }
  http::RouteInfo info;
  const http::Response response =
      http::handle_request(request, "fuzz", "127.0.0.1", *folio.services, info);
  // FOLIO_FUZZ_VERBOSE=1: each answer on standard error (reproducing one input).
  static const bool verbose = std::getenv("FOLIO_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%s %s -> %u %s\n", std::string(request.method_string()).c_str(),
                 std::string(request.target()).c_str(), response.result_int(),
                 response.body().c_str());
  }
  if (response.result_int() == 500) std::abort();
  return 0;
}
