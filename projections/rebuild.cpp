#include "projections/rebuild.h"

#include <stdexcept>
#include <string_view>

#include "projections/read_model.h"
#include "projections/rebuild_fold.h"
#include "store/store_error.h"

namespace folio::projections {

namespace {

using events::EntitySpec;
using store::Transaction;
using store::Verdict;

// PostgreSQL: how long the swap waits for the live tables' locks, and how often it tries.
constexpr int kSwapLockTimeoutMs = 1000;
constexpr int kSwapAttempts = 30;

std::vector<const EntitySpec*> resolve(const std::vector<std::string>& types) {
  std::vector<const EntitySpec*> specs;
  for (const auto& type : types) {
    if (!events::find_entity_by_type(type)) {
      throw std::invalid_argument("unknown entity type '" + type + "'");
    }
  }
  for (const auto& spec : events::all_entities()) {
    if (types.empty() || std::find(types.begin(), types.end(), spec.type) != types.end()) {
      specs.push_back(&spec);
    }
  }
  return specs;
}

std::string join_types(const std::vector<const EntitySpec*>& specs) {
  std::string out;
  for (const auto* spec : specs) out += (out.empty() ? "" : ",") + std::string(spec->type);
  return out;
}

std::string shadow(const EntitySpec& spec) { return read_model_table(spec, ReadModelCopy::shadow); }
std::string live(const EntitySpec& spec) { return read_model_table(spec, ReadModelCopy::live); }

// Fresh, empty shadow tables for `specs`; none left over for the others.
std::string create_shadow_script(const std::vector<const EntitySpec*>& specs) {
  std::string script;
  for (const auto& spec : events::all_entities()) {
    script += "DROP TABLE IF EXISTS " + shadow(spec) + ";\n";
  }
  for (const auto* spec : specs) script += read_model_table_ddl(*spec, shadow(*spec));
  return script;
}

// PostgreSQL: the shadow tables' indexes, built before the swap locks anything.
std::string shadow_index_script(const std::vector<const EntitySpec*>& specs) {
  std::string script;
  for (const auto* spec : specs) {
    for (auto index : read_model_indexes(*spec, ReadModelCopy::shadow)) {
      script += index.create.replace(index.create.find("INDEX "), 6, "INDEX IF NOT EXISTS ");
    }
  }
  return script;
}

std::string swap_script(const std::vector<const EntitySpec*>& specs, bool postgres) {
  std::string script;
  for (const auto* spec : specs) {
    script += "DROP TABLE " + live(*spec) + ";\n";
    script += "ALTER TABLE " + shadow(*spec) + " RENAME TO " + live(*spec) + ";\n";
    script += access_epoch_triggers_ddl(*spec, live(*spec), postgres);
    const auto shadow_indexes = read_model_indexes(*spec, ReadModelCopy::shadow);
    const auto live_indexes = read_model_indexes(*spec, ReadModelCopy::live);
    if (postgres) {
      // Index names are per schema: the next rebuild's shadow tables need theirs free.
      script += "ALTER INDEX " + shadow(*spec) + "_pkey RENAME TO " + live(*spec) + "_pkey;\n";
      for (std::size_t i = 0; i < live_indexes.size(); ++i) {
        script +=
            "ALTER INDEX " + shadow_indexes[i].name + " RENAME TO " + live_indexes[i].name + ";\n";
      }
    } else {
      // SQLite cannot rename an index; building them here keeps the swap atomic.
      for (const auto& index : live_indexes) script += index.create;
    }
  }
  return script;
}

std::int64_t count_rows(Transaction& tx, const std::vector<const EntitySpec*>& specs) {
  static const std::vector<std::string> counts = [] {
    std::vector<std::string> v;
    for (const auto& spec : events::all_entities()) {
      v.push_back("SELECT COUNT(*) FROM " + shadow(spec));
    }
    return v;
  }();
  std::int64_t total = 0;
  for (const auto* spec : specs) {
    const auto index = static_cast<std::size_t>(spec - events::all_entities().data());
    total += std::get<std::int64_t>(tx.query(counts[index].c_str(), {}).at(0).at(0));
  }
  return total;
}

}  // namespace

RebuildResult rebuild_read_models(store::EventStore& store, const RebuildOptions& options) {
  const auto specs = resolve(options.entity_types);
  const std::string config = join_types(specs);
  const bool postgres = store.dialect() == "postgresql";
  RebuildResult result;
  for (const auto* spec : specs) result.entity_types.emplace_back(spec->type);

  store.transact(store::Access::read_write, [&](Transaction& tx) {
    result.resumed = false;
    result.discarded.clear();
    const auto checkpoint = read_checkpoint(tx, kRebuildJob);
    if (checkpoint && checkpoint->config == config) {
      result.resumed = true;
      result.resumed_from = checkpoint->position;
      return Verdict::commit;
    }
    if (checkpoint) result.discarded = checkpoint->config;
    tx.execute_script(create_shadow_script(specs));
    reset_checkpoint(tx, kRebuildJob, config);
    return Verdict::commit;
  });

  ShadowFold fold(store.dialect(), specs);
  CatchUpRunner runner(store, kRebuildJob, fold, options.batch_size);
  // Passes up to the head as each pass starts, each shorter than the one before while
  // writers keep writing, until less than a batch is left (at most a few passes); the swap
  // applies the rest under its locks.
  const std::int64_t base = runner.checkpoint();
  const auto progress = [&](std::int64_t at, std::int64_t target) {
    if (options.progress) options.progress(at - base, target - base);
  };
  for (int pass = 0; pass < 4; ++pass) {
    if (pass > 0 && runner.current_head() - runner.checkpoint() <
                        static_cast<std::int64_t>(options.batch_size)) {
      break;
    }
    result.events += runner.run(progress);
  }
  if (postgres) {
    store.transact(store::Access::read_write, [&](Transaction& tx) {
      tx.execute_script(shadow_index_script(specs));
      return Verdict::commit;
    });
  }

  std::int64_t last_events = 0;
  for (int attempt = 1;; ++attempt) {
    try {
      store.transact(store::Access::read_write, [&](Transaction& tx) {
        if (postgres) {
          // Readers queue behind a waiting ACCESS EXCLUSIVE request: never wait long for a
          // slow transaction on the live tables; give up, catch up and try again instead.
          std::string tables;
          for (const auto* spec : specs) tables += (tables.empty() ? "" : ", ") + live(*spec);
          tx.execute_script("SET LOCAL lock_timeout = '" + std::to_string(kSwapLockTimeoutMs) +
                            "ms'; LOCK TABLE " + tables + " IN ACCESS EXCLUSIVE MODE");
        }
        last_events = runner.finish_in(tx);
        result.entities = count_rows(tx, specs);
        tx.execute_script(swap_script(specs, postgres));
        // Users, roles and scopes may read differently now: servers stop trusting the actors
        // they remember (commands/actor_cache.h). Last, after the tables' locks, in the order
        // commands take them (a row, then the epoch by trigger).
        tx.execute(kBumpAccessEpoch, {});
        delete_checkpoint(tx, kRebuildJob);
        return Verdict::commit;
      });
      break;
    } catch (const store::StoreError& e) {
      if (!postgres || attempt >= kSwapAttempts ||
          std::string_view(e.what()).find("lock timeout") == std::string_view::npos) {
        throw;
      }
      result.events += runner.run(progress);
    }
  }
  result.events += last_events;
  result.position = runner.checkpoint();
  progress(result.position, result.position);
  return result;
}

}  // namespace folio::projections
