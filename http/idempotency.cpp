#include "http/idempotency.h"

#include <boost/json.hpp>
#include <thread>

namespace folio::http {

namespace {

namespace json = boost::json;
using store::SqlValue;
using store::Transaction;
using store::Verdict;

constexpr const char* kClaim =
    "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, created_at_ms)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
constexpr const char* kRead =
    "SELECT fingerprint, status, response_headers, response_body, created_at_ms, route"
    " FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2";
// Takes over a claim whose server died: only if it is still the same abandoned claim.
constexpr const char* kTakeOver =
    "UPDATE idempotency_keys SET created_at_ms = $3"
    " WHERE user_id = $1 AND idempotency_key = $2 AND status = 0 AND created_at_ms = $4";
constexpr const char* kFinish =
    "UPDATE idempotency_keys SET status = $3, response_headers = $4, response_body = $5,"
    " route = $6"
    " WHERE user_id = $1 AND idempotency_key = $2";
constexpr const char* kAbandon =
    "DELETE FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2 AND status = 0";
constexpr const char* kForgetExpired = "DELETE FROM idempotency_keys WHERE created_at_ms < $1";

// The headers of an answer that a replay must carry as well (a merge's too: the client
// that lost the first answer must still learn what it was merged over).
constexpr std::string_view kKeptHeaders[] = {"Content-Type", "ETag",        "Location",
                                             "Retry-After",  "Merged-Over", "Preference-Applied"};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response replay_of(std::int64_t status, const std::string& headers, const std::string& body) {
  Response r{static_cast<beast_http::status>(status), 11};
  const json::value parsed = json::parse(headers);
  for (const auto& [name, value] : parsed.as_object()) {
    r.set(std::string_view(name), std::string_view(value.as_string()));
  }
  r.body() = body;
  r.prepare_payload();
  return r;
}

}  // namespace

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::optional<IdempotencyKeys::Claim> IdempotencyKeys::try_claim(const std::string& user_id,
                                                                 const std::string& key,
                                                                 const std::string& fingerprint,
                                                                 std::int64_t now) {
  std::optional<Claim> claim;
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    claim.reset();
    const std::vector<SqlValue> insert{user_id, key, fingerprint, now};
    if (tx.execute(kClaim, insert) == 1) {
      claim = Claim{Claim::Kind::claimed, {}};
      return Verdict::commit;
    }
    const std::vector<SqlValue> id{user_id, key};
    const auto rows = tx.query(kRead, id);
    if (rows.empty()) return Verdict::commit;  // abandoned meanwhile: try again
    const auto& row = rows[0];
    const auto status = std::get<std::int64_t>(row[1]);
    const auto created = std::get<std::int64_t>(row[4]);
    if (std::get<std::string>(row[0]) != fingerprint) {
      claim = Claim{Claim::Kind::mismatch, {}};
    } else if (status != 0) {
      claim = Claim{Claim::Kind::replay,
                    replay_of(status, std::get<std::string>(row[2]), std::get<std::string>(row[3])),
                    std::get<std::string>(row[5])};
    } else if (now - created > std::chrono::milliseconds(kAbandonedAfter).count()) {
      const std::vector<SqlValue> take{user_id, key, now, created};
      if (tx.execute(kTakeOver, take) == 1) claim = Claim{Claim::Kind::claimed, {}};
    }
    return Verdict::commit;
  });
  return claim;
}

IdempotencyKeys::Claim IdempotencyKeys::claim(const std::string& user_id, const std::string& key,
                                              const std::string& fingerprint) {
  forget_expired(now_ms());
  // A repeat that finds the first request still running waits for its answer a while.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    if (auto claim = try_claim(user_id, key, fingerprint, now_ms())) return std::move(*claim);
    if (std::chrono::steady_clock::now() > deadline) return Claim{Claim::Kind::busy, {}};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void IdempotencyKeys::finish(const std::string& user_id, const std::string& key,
                             const Response& answer, const std::string& route) {
  json::object headers;
  for (const auto field : kKeptHeaders) {
    if (const auto value = answer[field]; !value.empty()) {
      headers[field] = std::string(value);
    }
  }
  const std::vector<SqlValue> params{
      user_id,       key,  static_cast<std::int64_t>(answer.result_int()), json::serialize(headers),
      answer.body(), route};
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    tx.execute(kFinish, params);
    return Verdict::commit;
  });
}

void IdempotencyKeys::abandon(const std::string& user_id, const std::string& key) {
  const std::vector<SqlValue> params{user_id, key};
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    tx.execute(kAbandon, params);
    return Verdict::commit;
  });
}

// At most once a minute, by whichever request comes: keys older than keep_for_ go.
void IdempotencyKeys::forget_expired(std::int64_t now) {
  std::int64_t due = next_forget_ms_.load();
  if (now < due || !next_forget_ms_.compare_exchange_strong(due, now + 60'000)) return;
  const SqlValue cutoff{now - std::chrono::milliseconds(keep_for_).count()};
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    tx.execute(kForgetExpired, std::span(&cutoff, 1));
    return Verdict::commit;
  });
}

}  // namespace folio::http
