#include "cli/serve_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "cli/admin_bootstrap.h"
#include "cli/logging.h"
#include "cli/systemd_notify.h"
#include "commands/queries.h"
#include "http/auth.h"
#include "http/idempotency.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "http/server.h"
#include "http/starting_listener.h"
#include "projections/catch_up_worker.h"
#include "projections/utilisation.h"
#include "store/database_url.h"
#include "store/log_sealer.h"
#include "store/migrator.h"

namespace folio::cli {

namespace {

constexpr const char* kServeUsage =
    "Usage: folio [--db URL] serve [--listen HOST:PORT] [--workers N] [--max-connections N]\n"
    "                              [--queue N] [--group-commits N] [--web-root DIR]\n"
    "                              [--no-pipelined-reads] [--no-pipelined-writes]\n"
    "                              [--login-limits USER,ADDRESS,SECONDS]\n"
    "                              [--trusted-proxies IP,...] [--shutdown-grace SECONDS]\n"
    "                              [--header-timeout S] [--read-timeout S] [--idle-timeout S]\n"
    "                              [--evict-waiting-after-ms MS] [--statement-timeout S]\n"
    "                              [--idempotency-hours H] [--max-event-streams N]\n"
    "                              [--event-stream-buffer KIB] [--no-migrate]\n"
    "\n"
    "Serves the HTTP API (API.md) until SIGINT or SIGTERM.\n"
    "  --listen HOST:PORT     address to listen on (default $FOLIO_LISTEN, else\n"
    "                         127.0.0.1:8080; port 0 picks a free port)\n"
    "  --workers N            threads serving connections, each running its requests to\n"
    "                         the end (default: one per CPU, at least 2; at most 256); as\n"
    "                         many threads for slow work (password hashing), and a store\n"
    "                         pool of N connections, at least 8 (PostgreSQL: plus one per\n"
    "                         thread for its pipelined reads)\n"
    "  --max-connections N    open connections; beyond, new ones are answered 503\n"
    "                         (default 1024)\n"
    "  --queue N              slow requests (logins, password changes) waiting for a\n"
    "                         thread; beyond, 503 with Retry-After\n"
    "                         (default 1024)\n"
    "  --group-commits N      PostgreSQL: concurrent updates and creations share a\n"
    "                         transaction and its commit, at most N such transactions at\n"
    "                         once, each on a store connection of its own (default 1;\n"
    "                         0: every write commits by itself)\n"
    "  --no-pipelined-reads   PostgreSQL: a GET of one entity waits for the database on its\n"
    "                         connection thread, instead of going out with the other\n"
    "                         connections' GETs on that thread's own store connection\n"
    "                         (this also turns the next off on PostgreSQL)\n"
    "  --no-pipelined-writes  a creation or update of one entity blocks its connection\n"
    "                         thread until it commits, instead of that thread serving other\n"
    "                         requests meanwhile (PostgreSQL: its reads go through the thread's\n"
    "                         store connection, its write to group commit; SQLite: it\n"
    "                         runs on the writer thread)\n"
    "  --header-timeout S     a new connection's request line and headers must arrive\n"
    "                         within S seconds (default 10)\n"
    "  --read-timeout S       a request's body, and the writing of a response, within S\n"
    "                         seconds (default 30)\n"
    "  --idle-timeout S       a keep-alive connection's next request within S seconds\n"
    "                         (default 60)\n"
    "  --evict-waiting-after-ms MS  at --max-connections, a new connection closes the\n"
    "                         connection that has waited longest for a request (idle, or\n"
    "                         its headers still arriving) if it has waited MS ms (default\n"
    "                         1000); only when none has is the new one answered 503\n"
    "  --statement-timeout S  PostgreSQL: a statement (waiting for a lock included) is\n"
    "                         cancelled after S seconds and its request answered 503, so\n"
    "                         a stuck database never holds a request forever (default 30;\n"
    "                         0: the server's own setting; a statement_timeout in the\n"
    "                         URL's options= wins). SQLite waits at most 10 s for its lock.\n"
    "  --login-limits U,A,S   failed logins allowed per user name (U) and per client\n"
    "                         address (A) within S seconds; beyond, 429 until the window\n"
    "                         ends (default 10,50,900)\n"
    "  --trusted-proxies IP,...  load balancers whose X-Forwarded-For (its last address)\n"
    "                         names the client, for the login limits and the log\n"
    "                         (default: none; the TCP peer is the client)\n"
    "  --shutdown-grace SECONDS  on SIGINT/SIGTERM, how long requests in flight may take to\n"
    "                         finish before the connections close (default 10; writes\n"
    "                         already sent to the store are still waited for, answered\n"
    "                         or not)\n"
    "  --web-root DIR         the built web console, served at / (default $FOLIO_WEB_ROOT,\n"
    "                         else ../share/folio/web beside the binary if it is there,\n"
    "                         else " FOLIO_DEFAULT_WEB_ROOT
    ")\n"
    "  --idempotency-hours H  how long a write's Idempotency-Key and its answer are kept\n"
    "                         for exact repeats (default 24, 1..8760)\n"
    "  --max-event-streams N  live event streams (GET /api/v1/events as Server-Sent\n"
    "                         Events) open at once; beyond, 503 (default 256)\n"
    "  --event-stream-buffer KIB  a live stream's events waiting to be written; a\n"
    "                         stream that stays this full for --read-timeout is dropped\n"
    "                         as too slow (default 1024)\n"
    "  --no-migrate           do not apply pending migrations on start\n"
    "\n"
    "PostgreSQL that cannot be reached at start (down, still starting, a network fault)\n"
    "is tried again with back-off (0.5 s doubling to 15 s) until it answers, and meanwhile\n"
    "the address answers every request, /healthz included, 503 with Retry-After.\n"
    "\n"
    "On a store without users, FOLIO_ADMIN_USERNAME and FOLIO_ADMIN_PASSWORD create the\n"
    "first admin; without them, `folio user create-admin` does.\n"
    "Logs are JSON lines on standard output.\n";

constexpr const char* kUserUsage =
    "Usage: folio [--db URL] user create-admin --username NAME [--email EMAIL]\n"
    "\n"
    "Creates a user with the admin role. The password is read from FOLIO_ADMIN_PASSWORD,\n"
    "else from the first line of standard input (at least 8 characters).\n";

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool take_option(const std::vector<std::string>& args, std::size_t& i, const char* name,
                 std::string& value) {
  if (args[i] == name && i + 1 < args.size()) {
    value = args[++i];
    return true;
  }
  const std::string prefix = std::string(name) + "=";
  if (args[i].rfind(prefix, 0) == 0) {
    value = args[i].substr(prefix.size());
    return true;
  }
  return false;
}

// A decimal integer from `min` to `max`, nothing else; throws std::invalid_argument.
int parse_number(const std::string& text, int min, int max) {
  std::size_t used = 0;
  const long value = std::stol(text, &used);
  if (used != text.size() || value < min || value > max) {
    throw std::invalid_argument("out of range");
  }
  return static_cast<int>(value);
}

// Migrates (unless told not to) and opens the store. PostgreSQL that cannot be reached is
// tried again with back-off; meanwhile `starting` answers 503 on the server's address.
// nullptr when SIGINT or SIGTERM ends the wait.
std::unique_ptr<store::EventStore> open_store_when_reachable(
    const CliContext& context, bool migrate, const store::StoreOptions& store_options,
    const http::ServerOptions& options, std::optional<http::StartingListener>& starting) {
  const bool retry =
      store::parse_database_url(context.database_url).kind == store::DatabaseUrl::Kind::postgresql;
  constexpr std::chrono::milliseconds kLongestDelay{15000};
  std::chrono::milliseconds delay{500};
  for (int attempt = 1;; ++attempt) {
    try {
      if (migrate) {
        auto target = store::open_migration_target(context.database_url);
        for (int n : store::Migrator(*target).up()) {
          spdlog::info(R"({{"event":"migration_applied","number":{}}})", n);
        }
      }
      auto store = store::open_event_store(context.database_url, store_options);
      if (starting) {
        spdlog::info(R"({{"event":"database_reachable","attempts":{}}})", attempt);
      }
      return store;
    } catch (const store::StoreUnavailable& e) {
      if (!retry) throw;
      if (!starting) {
        starting.emplace(options.host, options.port);
        // One write, as for the "serving" line below: the log writer shares standard output.
        context.out << (std::string("The database does not answer yet: ") + e.what() +
                        "\nFolio keeps trying, and answers 503 at http://" + options.host + ":" +
                        std::to_string(starting->port()) + "/ meanwhile (Ctrl-C stops).\n")
                    << std::flush;
      }
      spdlog::warn(boost::json::serialize(boost::json::object{{"event", "database_unreachable"},
                                                              {"attempt", attempt},
                                                              {"retry_in_ms", delay.count()},
                                                              {"error", e.what()}}));
      flush_logging();
      if (!starting->wait(delay)) return nullptr;
      delay = std::min(delay * 2, kLongestDelay);
    }
  }
}

// The console installed beside the binary (the package's /usr/bin/folio with
// /usr/share/folio/web), else the one built in the source tree this binary came from.
std::string default_web_root() {
  std::error_code ec;
  const auto binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = binary.parent_path().parent_path() / "share" / "folio" / "web";
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
  return FOLIO_DEFAULT_WEB_ROOT;
}

// One event loop per CPU: more only take turns on the same cores (on 2 vCPUs, 8 loops
// served 23,000 GETs/s on PostgreSQL and 2 loops 37,000, docs/benchmarks.md 2026-12-05).
// At least 2, so that one request blocking its loop (a long list) never holds up all.
int default_workers() {
  return static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
}
// The store's pool also serves the slow-request threads and the background followers (log
// sealer, utilisation, catch-up), so it does not shrink with the loops.
constexpr int kMinStoreConnections = 8;

}  // namespace

// The IP addresses of --trusted-proxies, as the server prints them; throws
// std::invalid_argument.
std::vector<std::string> parse_addresses(const std::string& list) {
  std::vector<std::string> addresses;
  std::size_t start = 0;
  while (start < list.size()) {
    const auto end = std::min(list.find(',', start), list.size());
    addresses.push_back(boost::asio::ip::make_address(list.substr(start, end - start)).to_string());
    start = end + 1;
  }
  return addresses;
}

// "U,A,S" of --login-limits; throws std::invalid_argument.
http::LoginLimits parse_login_limits(const std::string& text) {
  const auto first = text.find(','), second = text.find(',', first + 1);
  if (first == std::string::npos || second == std::string::npos) {
    throw std::invalid_argument("three numbers");
  }
  return {parse_number(text.substr(0, first), 1, 1000000),
          parse_number(text.substr(first + 1, second - first - 1), 1, 1000000),
          std::chrono::seconds(parse_number(text.substr(second + 1), 1, 86400 * 7))};
}

int run_serve_command(const CliContext& context) {
  std::string listen = env_or("FOLIO_LISTEN", "127.0.0.1:8080");
  std::string workers = std::to_string(default_workers());
  std::string max_connections = "1024";
  std::string queue = "1024";
  std::string group_commits = "1";
  std::string login_limits = "10,50,900";
  std::string trusted_proxies;
  std::string shutdown_grace = "10";
  std::string header_timeout = "10";
  std::string read_timeout = "30";
  std::string idle_timeout = "60";
  std::string evict_after = "1000";
  std::string statement_timeout = "30";
  std::string idempotency_hours = "24";
  std::string max_event_streams = "256";
  std::string event_stream_buffer = "1024";
  std::string web_root = env_or("FOLIO_WEB_ROOT", default_web_root());
  bool migrate = true;
  bool pipelined_reads = true;
  bool pipelined_writes = true;
  for (std::size_t i = 0; i < context.args.size(); ++i) {
    const auto& a = context.args[i];
    if (a == "--help" || a == "-h") {
      context.out << kServeUsage;
      return 0;
    }
    if (a == "--no-migrate") {
      migrate = false;
    } else if (a == "--no-pipelined-reads") {
      pipelined_reads = false;
    } else if (a == "--no-pipelined-writes") {
      pipelined_writes = false;
    } else if (!take_option(context.args, i, "--listen", listen) &&
               !take_option(context.args, i, "--workers", workers) &&
               !take_option(context.args, i, "--max-connections", max_connections) &&
               !take_option(context.args, i, "--queue", queue) &&
               !take_option(context.args, i, "--group-commits", group_commits) &&
               !take_option(context.args, i, "--login-limits", login_limits) &&
               !take_option(context.args, i, "--trusted-proxies", trusted_proxies) &&
               !take_option(context.args, i, "--shutdown-grace", shutdown_grace) &&
               !take_option(context.args, i, "--header-timeout", header_timeout) &&
               !take_option(context.args, i, "--read-timeout", read_timeout) &&
               !take_option(context.args, i, "--idle-timeout", idle_timeout) &&
               !take_option(context.args, i, "--evict-waiting-after-ms", evict_after) &&
               !take_option(context.args, i, "--statement-timeout", statement_timeout) &&
               !take_option(context.args, i, "--idempotency-hours", idempotency_hours) &&
               !take_option(context.args, i, "--max-event-streams", max_event_streams) &&
               !take_option(context.args, i, "--event-stream-buffer", event_stream_buffer) &&
               !take_option(context.args, i, "--web-root", web_root)) {
      context.err << "folio serve: unknown argument '" << a << "'\n" << kServeUsage;
      return 2;
    }
  }
  const auto colon = listen.rfind(':');
  http::ServerOptions options;
  store::StoreOptions store_options;
  http::LoginLimits limits;
  std::chrono::hours keep_keys_for{24};
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no port");
    options.host = listen.substr(0, colon);
    options.port = static_cast<unsigned short>(parse_number(listen.substr(colon + 1), 0, 65535));
    options.workers = parse_number(workers, 1, 256);
    options.max_connections = parse_number(max_connections, 1, 1000000);
    options.max_queued = static_cast<std::size_t>(parse_number(queue, 1, 1000000));
    store_options.connections = std::max(options.workers, kMinStoreConnections);
    options.pipelined_reads = pipelined_reads;
    options.pipelined_writes = pipelined_writes;
    limits = parse_login_limits(login_limits);
    options.trusted_proxies = parse_addresses(trusted_proxies);
    store_options.group_commits = parse_number(group_commits, 0, 64);
    options.shutdown_grace = std::chrono::seconds(parse_number(shutdown_grace, 0, 3600));
    options.header_timeout = std::chrono::seconds(parse_number(header_timeout, 1, 3600));
    options.read_timeout = std::chrono::seconds(parse_number(read_timeout, 1, 3600));
    options.idle_timeout = std::chrono::seconds(parse_number(idle_timeout, 1, 3600));
    options.evictable_after = std::chrono::milliseconds(parse_number(evict_after, 0, 3600000));
    store_options.statement_timeout =
        std::chrono::seconds(parse_number(statement_timeout, 0, 86400));
    keep_keys_for = std::chrono::hours(parse_number(idempotency_hours, 1, 8760));
    options.event_streams.max_streams =
        static_cast<std::size_t>(parse_number(max_event_streams, 1, 100000));
    options.event_streams.max_unsent_bytes =
        static_cast<std::size_t>(parse_number(event_stream_buffer, 1, 1 << 20)) << 10;
    options.event_streams.slow_consumer_after = options.read_timeout;
  } catch (const std::exception&) {
    context.err
        << "folio serve: --listen must be HOST:PORT, --workers 1..256, "
           "--max-connections and --queue 1..1000000, --group-commits 0..64, --login-limits\n"
           "three positive numbers U,A,S, --trusted-proxies IP addresses, --shutdown-grace\n"
           "0..3600, the timeouts 1..3600, --evict-waiting-after-ms 0..3600000,\n"
           "--statement-timeout 0..86400, --idempotency-hours 1..8760,\n"
           "--max-event-streams 1..100000, --event-stream-buffer 1..1048576\n";
    return 2;
  }

  start_logging();
  struct StopLogging {
    ~StopLogging() { stop_logging(); }  // every queued line is written, also on errors
  } stop_logging_at_exit;
  std::optional<http::StartingListener> starting;
  const auto store = open_store_when_reachable(context, migrate, store_options, options, starting);
  if (!store) {
    spdlog::info(R"({"event":"stopped","message":"stopped while waiting for the database"})");
    return 0;
  }
  commands::CommandHandler handler(*store);
  commands::EntityQueries queries(*store);
  http::AuthService auth(*store, std::chrono::hours(12), limits);
  http::Metrics metrics;
  http::Services services{*store, handler, queries,
                          auth,   metrics, boost::json::serialize(http::openapi_document())};
  services.web_root = web_root;
  http::IdempotencyKeys idempotency(*store, keep_keys_for);
  services.idempotency = &idempotency;

  if (auth.has_no_users()) {
    const std::string username = env_or("FOLIO_ADMIN_USERNAME", "");
    const std::string password = env_or("FOLIO_ADMIN_PASSWORD", "");
    if (!username.empty() && !password.empty()) {
      try {
        create_admin(handler, {username, password, ""});
        spdlog::info(R"({"event":"admin_created","username_from":"FOLIO_ADMIN_USERNAME"})");
      } catch (const std::runtime_error&) {
        // Several servers starting at once on one empty database: one of them wins.
        if (auth.has_no_users()) throw;
        spdlog::info(
            R"({"event":"admin_exists","message":"another server created the first user"})");
      }
    } else {
      context.out << "No users yet. Create the first admin with\n"
                     "  folio user create-admin --username admin\n"
                     "or start once with FOLIO_ADMIN_USERNAME and FOLIO_ADMIN_PASSWORD set.\n";
    }
  }

  // The asynchronous resource utilisation view, kept up to date beside the server. Every
  // poll reads the log with read_all (which never holds appends back); 200 ms keeps hints
  // fresh for people.
  projections::UtilisationView utilisation;
  projections::CatchUpRunner utilisation_runner(*store, projections::kUtilisationJob, utilisation,
                                                1000);
  projections::CatchUpWorker utilisation_worker(
      utilisation_runner, std::chrono::milliseconds(200), [](const std::string& error) {
        spdlog::error(boost::json::serialize(boost::json::object{
            {"event", "projection_failed"}, {"view", "resource_utilisation"}, {"error", error}}));
      });
  metrics.add_store(*store);
  metrics.add_projection("resource_utilisation", [&] {
    const auto lag = utilisation_worker.lag();
    return http::Metrics::ProjectionLag{lag.events, lag.seconds, lag.seconds_since_applied};
  });
  utilisation_worker.start();

  // Tamper evidence: seal the global log behind the appends (store/log_sealer.h); stopped
  // when this scope ends, after the server, before the store.
  store::LogSealer sealer(*store, std::chrono::seconds(1), [](const std::string& message) {
    spdlog::warn(boost::json::serialize(
        boost::json::object{{"event", "log_sealer_failed"}, {"message", message}}));
  });
  metrics.add_gauge("folio_log_sealer_up",
                    "1 when this server's log sealer last reached the database, else 0.",
                    [&] { return sealer.health().up ? 1.0 : 0.0; });
  metrics.add_gauge("folio_log_seal_lag_seconds",
                    "0 when the global log was sealed up to its head at the sealer's last pass, "
                    "else seconds since it was.",
                    [&] { return sealer.health().seconds_behind; });
  if (starting) {
    options.listening_socket = starting->release_socket();  // no moment of refused connections
    starting.reset();
  }
  http::Server server(options, services);
  // One write: the log writer thread shares standard output, and a line written in pieces
  // could be split by a block of log lines (tests and scripts read the address from it).
  context.out << ("Folio is serving " + store::redact_database_url(context.database_url) +
                  " at http://" + options.host + ":" + std::to_string(server.port()) +
                  "/ (Ctrl-C stops)\n")
              << std::flush;
  if (std::error_code ec; !std::filesystem::is_directory(web_root, ec)) {
    context.out << "The web console is not built (" << web_root << " is missing): run "
                << "scripts/build.sh, or `npm ci && npm run build` in web/." << std::endl;
  }
  spdlog::info(
      R"({{"event":"listening","address":"http://{}:{}","workers":{},"store_connections":{}}})",
      options.host, server.port(), options.workers, store_options.connections);
  flush_logging();
  notify_service_manager("READY=1");  // a Type=notify systemd service starts now
  server.run();
  notify_service_manager("STOPPING=1");
  utilisation_worker.stop();
  spdlog::info(R"({"event":"stopped"})");
  return 0;
}

int run_user_command(const CliContext& context) {
  const auto& args = context.args;
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? context.err : context.out) << kUserUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "create-admin") {
    context.err << "folio user: unknown action '" << args[0] << "'\n" << kUserUsage;
    return 2;
  }
  AdminAccount account;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help") {
      context.out << kUserUsage;
      return 0;
    }
    if (!take_option(args, i, "--username", account.username) &&
        !take_option(args, i, "--email", account.email)) {
      context.err << "folio user create-admin: unknown argument '" << args[i] << "'\n";
      return 2;
    }
  }
  if (account.username.empty()) {
    context.err << kUserUsage;
    return 2;
  }
  account.password = env_or("FOLIO_ADMIN_PASSWORD", "");
  if (account.password.empty()) std::getline(std::cin, account.password);
  {
    auto target = store::open_migration_target(context.database_url);
    store::Migrator(*target).up();
  }
  auto store = store::open_event_store(context.database_url);
  commands::CommandHandler handler(*store);
  const std::string id = create_admin(handler, account);
  context.out << "created admin '" << account.username << "' (user " << id << ")\n";
  return 0;
}

}  // namespace folio::cli
