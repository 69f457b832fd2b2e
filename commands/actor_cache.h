// The actors behind bearer tokens, remembered by one server so that a request does not
// join the token, the user, its roles and their scopes again. Never trusted on its own: an
// entry is used only while the access epoch (migration 0006: a counter that triggers move in
// the transaction of every change of users, roles, scopes or tokens) read in the request's
// own statement still equals the epoch the entry was read with, and only before the token
// expires. So a deactivation or a role change acknowledged on any server stops the next
// request on every server, exactly as without the cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "commands/access.h"
#include "commands/sharded_cache.h"

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
  std::shared_ptr<const Entry> find(const std::string& token_hash, const std::string& now) const {
    auto entry = entries_.find(token_hash);
    // As the store's check: `t.expires_at > now`, both RFC 3339 text.
    return entry && entry->expires_at > now ? entry : nullptr;
  }
  void remember(const std::string& token_hash, Entry entry) {
    entries_.remember(token_hash, std::move(entry));
  }

 private:
  ShardedCache<Entry> entries_;
};

// The entry token.cache remembers for the token, unexpired at token.now (nullptr without
// a cache or an entry); its epoch still has to be confirmed against the store's.
std::shared_ptr<const ActorCache::Entry> remembered_actor(const TokenCheck& token);

}  // namespace folio::commands
