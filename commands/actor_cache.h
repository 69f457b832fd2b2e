// The actors behind bearer tokens, remembered by one server so that a request does not
// join the token, the user, its roles and their scopes again. Never trusted on its own: an
// entry is used only while the access epoch (migration 0006: a counter that every change of
// users, roles or scopes bumps in its own transaction) read in the request's own statement
// still equals the epoch the entry was read with, and only before the token expires. So a
// deactivation or a role change acknowledged on any server stops the next request on every
// server, exactly as without the cache.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "commands/access.h"

namespace folio::commands {

class ActorCache {
 public:
  struct Entry {
    Actor actor;
    std::string expires_at;  // the token's, RFC 3339 (compared as the store compares it)
    std::int64_t epoch = 0;  // the access epoch read with the actor
  };

  // The entry for `token_hash` if one is remembered and the token has not expired at `now`
  // (the caller still compares its epoch).
  std::shared_ptr<const Entry> find(const std::string& token_hash, const std::string& now) const;
  void remember(const std::string& token_hash, Entry entry);
  std::size_t size() const;

 private:
  // Shards keep the worker threads from queueing on one mutex; a full shard starts afresh
  // (entries are cheap to read again, and stale ones are never used anyway).
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxPerShard = 4096;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const Entry>> entries;
  };
  Shard& shard_of(const std::string& token_hash) const;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace folio::commands
