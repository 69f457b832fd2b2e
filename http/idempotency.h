// Exact retries (API.md, Idempotency-Key): a write repeated by the same user with the same
// key and the same request gets the first one's answer, status, headers and body, without
// running again; the same key with another request is refused. Keys and answers are kept in
// the store (migration 0009), so they hold across restarts and across the servers sharing
// one PostgreSQL database, and two requests with one key at the same time run the command
// once: the first claims the key in one short transaction (a primary key decides between
// concurrent claims), the other waits for its answer.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "http/problem.h"
#include "store/event_store.h"

namespace folio::http {

class IdempotencyKeys {
 public:
  // `keep_for`: how long a key and its answer are kept (then the key may be used again).
  IdempotencyKeys(store::EventStore& store, std::chrono::hours keep_for)
      : store_(store), keep_for_(keep_for) {}

  struct Claim {
    enum class Kind {
      claimed,   // this request runs; call finish() or abandon() with its answer
      replay,    // answered before: `answer`, to send again
      mismatch,  // the key was used with another request (method, address or body)
      busy,      // the first request with the key is still running (waited for a while)
    };
    Kind kind = Kind::claimed;
    Response answer;    // replay's
    std::string route;  // replay's: the route template of the first request (access log)
  };
  // `fingerprint` identifies the request (a hash of method, target and body).
  Claim claim(const std::string& user_id, const std::string& key, const std::string& fingerprint);
  // Keeps the answer of a claimed request for its repeats.
  void finish(const std::string& user_id, const std::string& key, const Response& answer,
              const std::string& route);
  // Gives the key up (the request failed on the server's side: a repeat should run).
  void abandon(const std::string& user_id, const std::string& key);

  // A claim left running this long is taken over by its next repeat: its server died
  // between claiming the key and keeping the answer.
  static constexpr std::chrono::minutes kAbandonedAfter{2};

 private:
  std::optional<Claim> try_claim(const std::string& user_id, const std::string& key,
                                 const std::string& fingerprint, std::int64_t now_ms);
  void forget_expired(std::int64_t now_ms);

  store::EventStore& store_;
  const std::chrono::hours keep_for_;
  std::atomic<std::int64_t> next_forget_ms_{0};
};

// True for a well-formed key: 1 to 255 visible ASCII characters.
bool valid_idempotency_key(std::string_view key);

}  // namespace folio::http
