// A bounded map from text keys to shared, immutable values, split into shards so that the
// server's threads rarely wait for each other. A full shard starts afresh: what it held is
// cheap to read again. For remembered values that are checked before use (ActorCache,
// CommandHandler's entity states), never for answers on their own.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace folio::commands {

template <class Value, std::size_t kMaxPerShard = 4096>
class ShardedCache {
 public:
  std::shared_ptr<const Value> find(const std::string& key) const {
    const Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(key);
    return it == shard.entries.end() ? nullptr : it->second;
  }

  void remember(const std::string& key, Value value) {
    auto shared = std::make_shared<const Value>(std::move(value));
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    if (shard.entries.size() >= kMaxPerShard) shard.entries.clear();
    shard.entries.insert_or_assign(key, std::move(shared));
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const Value>> entries;
  };
  Shard& shard_of(const std::string& key) {
    return shards_[std::hash<std::string>{}(key) % kShards];
  }
  const Shard& shard_of(const std::string& key) const {
    return shards_[std::hash<std::string>{}(key) % kShards];
  }
  std::array<Shard, kShards> shards_;
};

}  // namespace folio::commands
