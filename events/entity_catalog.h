// The one description of each of the 13 entity types. Validation, serialization, JSON,
// read-model columns, the OpenAPI schemas and the delete-with-children rule are all
// derived from these tables instead of being written 13 times.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace folio::events {

enum class FieldKind {
  text,        // trimmed string, max_length characters
  email,       // text that must be a valid address
  reference,   // UUID of another entity (references), which must exist and not be deleted
  date,        // "YYYY-MM-DD"
  money,       // exact decimal string with two fraction digits
  percentage,  // integer 0..100
  choice,      // one of `choices`
  boolean,
  password,    // write-only: hashed outside the event stream, never stored in events
};

struct FieldSpec {
  std::string_view name;
  FieldKind kind = FieldKind::text;
  bool required = true;           // false: may be absent or null
  int max_length = 0;             // text, email: maximum characters
  std::string_view references;    // reference: the entity type referred to
  std::span<const std::string_view> choices;  // choice: the allowed values
  std::string_view default_value; // used on create when absent ("" = none)
  bool unique = false;            // unique among entities that are not deleted
  // unique regardless of letter case: stored as given, compared as lower(value) (ASCII
  // letters on SQLite; on PostgreSQL also the letters the database's locale folds)
  bool case_insensitive = false;
  bool fixed = false;             // may not change after create
  bool must_be_positive = false;  // money: > 0 instead of >= 0
  bool computed = false;          // not required: the server computes it on create when absent
  // names or identifies a person: sealed in event payloads with the entity's data-subject
  // key (events/sealed_value.h), so that erasing the key erases the value
  bool personal = false;

  // May an update clear it (send null)? Only optional fields without a default or a
  // computed value: the others always hold a value once created.
  bool clearable() const { return !required && default_value.empty() && !computed; }
};

// Rule "start before end" within one entity.
struct DateRangeRule {
  std::string_view start;
  std::string_view end;  // may be an optional field (none = open-ended)
  bool allow_equal = false;
};

// Rule "date(s) inside the dates of the parent referenced by `parent_field`".
struct InsideParentDatesRule {
  std::string_view parent_field;  // e.g. "project_id"
  std::string_view start;         // this entity's start (or only) date
  std::string_view end;           // this entity's end date, or empty for a single date
};

// Where an entity sits for access control.
enum class ScopeKind {
  organisation,  // readable by everyone, writable only under a global scope
  program,       // the program itself
  project,       // the project itself (its program through program_id)
  project_child, // belongs to the project named by project_id
  admin_only,    // users, user roles, scope assignments
};

struct EntitySpec {
  std::string_view type;          // "project_phase": used in stream ids, errors, logs
  std::string_view collection;    // "project-phases": the URL path segment
  std::string_view event_prefix;  // "ProjectPhase": events are <prefix>Created/Updated/Deleted
  std::string_view table;         // "project_phases": the read-model table
  std::vector<FieldSpec> fields;
  std::vector<std::vector<std::string_view>> unique_together;  // composite unique keys
  std::vector<DateRangeRule> date_ranges;
  std::vector<InsideParentDatesRule> inside_parent_dates;
  ScopeKind scope = ScopeKind::organisation;

  const FieldSpec* field(std::string_view name) const;
  // Does it hold personal values (users, workers, and the fields FOLIO_PERSONAL_FIELDS
  // names): FieldSpec::personal.
  bool has_personal_fields() const;
};

// All 13, in the order of DOMAIN.md.
std::span<const EntitySpec> all_entities();
const EntitySpec* find_entity_by_type(std::string_view type);
const EntitySpec* find_entity_by_collection(std::string_view collection);
const EntitySpec& entity(std::string_view type);  // throws std::out_of_range

// Free-text fields an operator considers personal are named in the environment variable
// FOLIO_PERSONAL_FIELDS ("portfolio.owner,program.business_sponsor"; non-unique text fields
// only), read once. What is wrong with it, or "" (folio checks it before any command).
std::string personal_fields_config_error();

// Fields of other entities that reference `type` (for "delete refused while children
// exist"), as (entity, field) pairs.
struct Referrer {
  const EntitySpec* entity;
  const FieldSpec* field;
};
std::vector<Referrer> referrers_of(std::string_view type);

// Read-only fields computed from others (ProjectPhase.total_budget).
std::span<const std::string_view> derived_fields(std::string_view type);

}  // namespace folio::events
