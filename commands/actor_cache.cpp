#include "commands/actor_cache.h"

#include <functional>

namespace folio::commands {

ActorCache::Shard& ActorCache::shard_of(const std::string& token_hash) const {
  return shards_[std::hash<std::string>{}(token_hash) % kShards];
}

std::shared_ptr<const ActorCache::Entry> ActorCache::find(const std::string& token_hash,
                                                          const std::string& now) const {
  Shard& shard = shard_of(token_hash);
  std::shared_ptr<const Entry> entry;
  {
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(token_hash);
    if (it == shard.entries.end()) return nullptr;
    entry = it->second;
  }
  // As the store's check: `t.expires_at > now`, both RFC 3339 text.
  return entry->expires_at > now ? entry : nullptr;
}

void ActorCache::remember(const std::string& token_hash, Entry entry) {
  auto shared = std::make_shared<const Entry>(std::move(entry));
  Shard& shard = shard_of(token_hash);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= kMaxPerShard) shard.entries.clear();
  shard.entries.insert_or_assign(token_hash, std::move(shared));
}

std::size_t ActorCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace folio::commands
