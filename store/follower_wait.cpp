#include "store/follower_wait.h"

#include <algorithm>

namespace folio::store {

FollowerWait::FollowerWait(EventStore& store, std::chrono::milliseconds min_gap)
    : min_gap_(min_gap), state_(std::make_shared<State>()) {
  store.add_commit_listener([state = state_] { state->on_commit(); });
}

void FollowerWait::State::on_commit() {
  if (!listening.exchange(false)) {
    committed = true;  // seen by the next wait
    return;
  }
  {
    std::lock_guard lock(mutex);
    committed = true;
  }
  wake.notify_one();
}

bool FollowerWait::wait(std::chrono::milliseconds poll) {
  if (!pause(std::min(min_gap_, poll))) return false;
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  s.listening = true;
  s.wake.wait_for(lock, poll - std::min(min_gap_, poll), [&] { return s.stopping || s.committed; });
  s.listening = false;
  s.committed = false;
  return !s.stopping;
}

bool FollowerWait::pause(std::chrono::milliseconds period) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  s.wake.wait_for(lock, period, [&] { return s.stopping; });
  return !s.stopping;
}

void FollowerWait::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
}

bool FollowerWait::stopped() const {
  std::lock_guard lock(state_->mutex);
  return state_->stopping;
}

}  // namespace folio::store
