// The data-subject key of an entity with personal fields (events/sealed_value.h), and the
// sealing of an event's personal values with it before the event is stored.
#pragma once

#include <string>

#include "events/entity_catalog.h"
#include "events/envelope.h"
#include "store/event_store.h"

namespace folio::commands {

// The stream's key, made on first use. Two writers making it at once agree on one (the
// first insert wins, the other reads it). A key made for a write that then fails is harmless:
// it seals nothing and is found again by the stream's next write.
std::string subject_key_for(store::Transaction& tx, const std::string& stream_id);

// Erasure's deletions inside its unit of work: the subject's key, the kept idempotency
// answers that mention the entity, and for a user, the login-failure count under
// `username`, the password and the tokens.
void forget_subject(store::Transaction& tx, const events::EntitySpec& spec, const std::string& id,
                    const std::string& username);

// The login_failures key of a user name (http/login_throttle.cpp): lower case, up to a NUL
// if the name holds one (no column stores a NUL, and "eve\0x" is a try at eve).
std::string login_failure_key(const std::string& username);

// The tables erasure rewrites, for EventStore::purge_freed_space.
std::vector<std::string> tables_holding_subjects(const events::EntitySpec& spec);

// `event` with its personal values sealed; the event itself when `spec` has none.
events::NewEvent with_personal_fields_sealed(store::Transaction& tx, const events::EntitySpec& spec,
                                             const std::string& stream_id,
                                             const events::NewEvent& event);

}  // namespace folio::commands
