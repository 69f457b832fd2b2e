#include "http/openapi.h"

#include "events/entity_catalog.h"
#include "http/problem.h"
#include "projections/lineage.h"

namespace folio::http {

namespace {

namespace json = boost::json;
using events::FieldKind;
using events::FieldSpec;

json::object schema_ref(std::string_view name) {
  return json::object{{"$ref", "#/components/schemas/" + std::string(name)}};
}
json::object response_ref(std::string_view name) {
  return json::object{{"$ref", "#/components/responses/" + std::string(name)}};
}

json::object field_schema(const FieldSpec& f, bool nullable) {
  json::object s;
  switch (f.kind) {
    case FieldKind::percentage:
      s = {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}};
      break;
    case FieldKind::boolean:
      s = {{"type", "boolean"}};
      break;
    case FieldKind::money:
      s = {{"type", "string"}, {"pattern", "^-?[0-9]+\\.[0-9]{2}$"}, {"examples", json::array{"1250.00"}}};
      break;
    case FieldKind::date:
      s = {{"type", "string"}, {"format", "date"}};
      break;
    case FieldKind::reference:
      s = {{"type", "string"}, {"format", "uuid"},
           {"description", "id of a " + std::string(f.references)}};
      break;
    case FieldKind::choice: {
      json::array values;
      for (auto c : f.choices) values.emplace_back(c);
      s = {{"type", "string"}, {"enum", std::move(values)}};
      break;
    }
    case FieldKind::email:
      s = {{"type", "string"}, {"format", "email"}, {"maxLength", f.max_length}};
      break;
    case FieldKind::password:
      s = {{"type", "string"}, {"minLength", 8}, {"writeOnly", true}};
      break;
    case FieldKind::text:
      s = {{"type", "string"}, {"maxLength", f.max_length}};
      break;
  }
  if (nullable) s["type"] = json::array{s["type"], "null"};
  return s;
}

json::object problem_schema() {
  return json::object{
      {"type", "object"},
      {"required", json::array{"type", "title", "status", "detail", "error"}},
      {"properties",
       json::object{{"type", {{"type", "string"}}},
                    {"title", {{"type", "string"}}},
                    {"status", {{"type", "integer"}}},
                    {"detail", {{"type", "string"}}},
                    {"error", {{"type", "string"},
                               {"enum", json::array{"bad_request", "unauthenticated", "forbidden",
                                                    "not_found", "method_not_allowed", "conflict",
                                                    "constraint", "payload_too_large",
                                                    "unsupported_media_type", "validation",
                                                    "unavailable", "internal"}}}},
                    {"errors", {{"type", "array"},
                                {"items", {{"type", "object"},
                                           {"properties", {{"field", {{"type", "string"}}},
                                                           {"message", {{"type", "string"}}}}}}}}}}}};
}

json::object problem_response(std::string_view description, json::object example) {
  return json::object{
      {"description", description},
      {"content", {{"application/problem+json",
                    {{"schema", schema_ref("Problem")}, {"example", std::move(example)}}}}}};
}

json::object example_problem(int status, std::string_view error, std::string_view title,
                             std::string_view detail) {
  return json::object{{"type", problem_type(error)},
                      {"title", title},
                      {"status", status},
                      {"detail", detail},
                      {"error", error}};
}

json::object json_body(json::object schema) {
  return json::object{{"required", true},
                      {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

json::object ok_entity(std::string_view schema, std::string_view description) {
  return json::object{
      {"description", description},
      {"headers", {{"ETag", {{"description", "\"<version>\""}, {"schema", {{"type", "string"}}}}}}},
      {"content", {{"application/json", {{"schema", schema_ref(schema)}}}}}};
}

json::array id_parameter() {
  return json::array{json::object{{"name", "id"},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", {{"type", "string"}, {"format", "uuid"}}}}};
}

// Idempotency-Key on every write (http/idempotency.h).
json::object idempotency_key_parameter() {
  return json::object{
      {"name", "Idempotency-Key"}, {"in", "header"},
      {"schema", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}},
      {"description", "Exact retries: a repeat by the same user with the same key and the same "
                      "request (method, address, body) gets the first answer again, marked with "
                      "the header `Idempotent-Replayed: true`, and runs nothing; the key with "
                      "another request is 422. Keys are kept 24 hours (`--idempotency-hours`)."}};
}

void add_errors(json::object& responses, std::initializer_list<const char*> codes) {
  for (const char* code : codes) responses[code] = response_ref(std::string("E") + code);
}

}  // namespace

json::object openapi_document() {
  json::object schemas;
  json::object paths;
  schemas["Problem"] = problem_schema();
  schemas["Conflict"] = json::object{
      {"allOf", json::array{schema_ref("Problem"),
                            json::object{{"type", "object"},
                                         {"properties",
                                          {{"entity_type", {{"type", "string"}}},
                                           {"entity_id", {{"type", "string"}}},
                                           {"expected_version", {{"type", "integer"}}},
                                           {"current_version", {{"type", "integer"}}},
                                           {"current_state", {{"type", json::array{"object", "null"}}}},
                                           {"attempted_changes", {{"type", "object"}}},
                                           {"changes_since", {{"type", "array"}, {"items", schema_ref("HistoryEntry")}}}}}}}}};
  json::object change_schema{{"type", "object"},
                             {"properties", {{"from", json::object{}}, {"to", json::object{}}}}};
  json::object history_properties{
      {"version", {{"type", "integer"}}},
      {"event_type", {{"type", "string"}}},
      {"recorded_at", {{"type", "string"}, {"format", "date-time"}}},
      {"user_id", {{"type", json::array{"string", "null"}}}},
      {"changes", {{"type", "object"}, {"additionalProperties", std::move(change_schema)}}}};
  schemas["HistoryEntry"] =
      json::object{{"type", "object"}, {"properties", std::move(history_properties)}};
  schemas["LineageEntry"] = json::object{
      {"type", "object"},
      {"properties", {{"version", {{"type", "integer"}}},
                      {"value", json::object{{"description", "what the event set the field to (null: cleared)"}}},
                      {"event_type", {{"type", "string"}}},
                      {"recorded_at", {{"type", "string"}, {"format", "date-time"}}},
                      {"user_id", {{"type", json::array{"string", "null"}}}},
                      {"request_id", {{"type", "string"}}}}}};

  for (const auto& spec : events::all_entities()) {
    const std::string name(spec.event_prefix);
    json::object properties{{"id", {{"type", "string"}, {"format", "uuid"}, {"readOnly", true}}},
                            {"version", {{"type", "integer"}, {"minimum", 1}, {"readOnly", true}}},
                            {"created_at", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}},
                            {"updated_at", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}}};
    json::array required{"id", "version", "created_at", "updated_at"};
    json::object input_properties{{"id", {{"type", "string"}, {"format", "uuid"}}}};
    json::array input_required;
    json::object update_properties{{"version", {{"type", "integer"}, {"minimum", 1}}}};
    for (const auto& f : spec.fields) {
      const bool optional = !f.required;
      input_properties[f.name] = field_schema(f, optional);
      if (!f.fixed) update_properties[f.name] = field_schema(f, optional);  // set on create only
      if (f.required && f.default_value.empty()) input_required.emplace_back(f.name);
      if (f.kind == FieldKind::password) continue;
      properties[f.name] = field_schema(f, optional);
      required.emplace_back(f.name);
    }
    for (auto derived : events::derived_fields(spec.type)) {
      properties[derived] = json::object{{"type", "string"}, {"readOnly", true}};
    }
    schemas[name] = json::object{{"type", "object"}, {"required", std::move(required)},
                                 {"properties", std::move(properties)}};
    schemas[name + "Create"] =
        json::object{{"type", "object"}, {"required", std::move(input_required)},
                     {"additionalProperties", false}, {"properties", std::move(input_properties)}};
    schemas[name + "Update"] =
        json::object{{"type", "object"}, {"additionalProperties", false},
                     {"description", "Only the fields present change. `version` is required here "
                                     "or as If-Match."},
                     {"properties", std::move(update_properties)}};
    schemas[name + "List"] = json::object{
        {"type", "object"},
        {"properties", {{"items", {{"type", "array"}, {"items", schema_ref(name)}}},
                        {"next_cursor", {{"type", json::array{"string", "null"}}}}}}};

    const std::string base = "/api/v1/" + std::string(spec.collection);
    json::array list_parameters{
        json::object{{"name", "limit"}, {"in", "query"},
                     {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}, {"default", 50}}}},
        json::object{{"name", "cursor"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
        json::object{{"name", "as_of"}, {"in", "query"},
                     {"description", "The collection as it stood at this time (YYYY-MM-DD or RFC 3339), built from the events: "
                                     "entities deleted since as they were, entities created later absent; filters apply to the states then"},
                     {"schema", {{"type", "string"}}}}};
    for (const auto& f : spec.fields) {
      if (f.kind == FieldKind::reference) {
        list_parameters.push_back(json::object{{"name", f.name}, {"in", "query"},
                                               {"schema", {{"type", "string"}, {"format", "uuid"}}}});
      }
    }
    json::object list_responses{{"200", {{"description", "A page of " + std::string(spec.collection)},
                                          {"content", {{"application/json", {{"schema", schema_ref(name + "List")}}}}}}}};
    add_errors(list_responses, {"400", "401", "403"});
    json::object create_responses{{"201", ok_entity(name, "Created, version 1")},
                                  {"200", ok_entity(name, "A repeated create with the same id and fields")}};
    add_errors(create_responses, {"400", "401", "403", "409", "413", "415", "422"});
    paths[base] = json::object{
        {"get", {{"summary", "List " + std::string(spec.collection)}, {"operationId", "list" + name},
                 {"parameters", std::move(list_parameters)}, {"responses", std::move(list_responses)}}},
        {"post", {{"summary", "Create a " + std::string(spec.type)}, {"operationId", "create" + name},
                  {"parameters", json::array{idempotency_key_parameter()}},
                  {"requestBody", json_body(schema_ref(name + "Create"))},
                  {"responses", std::move(create_responses)}}}};

    json::object get_responses{{"200", ok_entity(name, "The entity")}};
    add_errors(get_responses, {"400", "401", "403", "404"});
    json::object update_responses{{"200", ok_entity(name, "Updated: version + 1")}};
    add_errors(update_responses, {"400", "401", "403", "404", "409", "413", "415", "422"});
    json::object delete_responses{{"204", {{"description", "Deleted"}}}};
    add_errors(delete_responses, {"401", "403", "404", "409", "422"});
    json::array if_match{json::object{{"name", "If-Match"}, {"in", "header"},
                                      {"schema", {{"type", "string"}}},
                                      {"description", "\"N\": the version last seen"}},
                        idempotency_key_parameter()};
    json::array update_parameters = if_match;
    update_parameters.push_back(json::object{
        {"name", "Prefer"}, {"in", "header"}, {"schema", {{"type", "string"}}},
        {"description", "`merge=disjoint`: a stale version is accepted when none of the fields sent "
                        "changed since it and every rule holds on the result; the 200 then carries "
                        "`Preference-Applied: merge=disjoint` and `Merged-Over: 4, 5` (the versions it "
                        "went over). Otherwise the usual 409."}});
    json::object update_op{{"summary", "Update a " + std::string(spec.type) + " (partial)"},
                           {"parameters", std::move(update_parameters)},
                           {"requestBody", json_body(schema_ref(name + "Update"))},
                           {"responses", update_responses}};
    json::object put_op = update_op, patch_op = update_op;
    put_op["operationId"] = "put" + name;
    patch_op["operationId"] = "patch" + name;
    json::array delete_parameters = if_match;
    delete_parameters.push_back(json::object{{"name", "version"}, {"in", "query"}, {"schema", {{"type", "integer"}}}});
    paths[base + "/{id}"] = json::object{
        {"parameters", id_parameter()},
        {"get", {{"summary", "Get a " + std::string(spec.type)}, {"operationId", "get" + name},
                 {"parameters", json::array{json::object{{"name", "at_version"}, {"in", "query"},
                                                         {"schema", {{"type", "integer"}, {"minimum", 1}}}}}},
                 {"responses", std::move(get_responses)}}},
        {"put", std::move(put_op)},
        {"patch", std::move(patch_op)},
        {"delete", {{"summary", "Delete a " + std::string(spec.type)}, {"operationId", "delete" + name},
                    {"parameters", std::move(delete_parameters)}, {"responses", std::move(delete_responses)}}}};
    json::object history_responses{
        {"200", {{"description", "Every change, oldest first"},
                 {"content", {{"application/json",
                               {{"schema", {{"type", "object"},
                                            {"properties", {{"items", {{"type", "array"}, {"items", schema_ref("HistoryEntry")}}}}}}}}}}}}}};
    add_errors(history_responses, {"401", "403", "404"});
    paths[base + "/{id}/history"] = json::object{
        {"parameters", id_parameter()},
        {"get", {{"summary", "History of a " + std::string(spec.type)}, {"operationId", "history" + name},
                 {"responses", std::move(history_responses)}}}};
    json::array lineage_fields;
    for (const auto& field : spec.fields) {
      if (projections::has_lineage(spec, field.name)) lineage_fields.push_back(json::string(field.name));
    }
    json::object lineage_responses{
        {"200", {{"description", "Every value the field held, oldest first, with the event that set it"},
                 {"content", {{"application/json",
                               {{"schema", {{"type", "object"},
                                            {"properties", {{"field", {{"type", "string"}}},
                                                            {"items", {{"type", "array"}, {"items", schema_ref("LineageEntry")}}}}}}}}}}}}}};
    add_errors(lineage_responses, {"400", "401", "403", "404"});
    paths[base + "/{id}/lineage"] = json::object{
        {"parameters", id_parameter()},
        {"get", {{"summary", "Every value one field of a " + std::string(spec.type) + " held"},
                 {"operationId", "lineage" + name},
                 {"parameters", json::array{
                      json::object{{"name", "field"}, {"in", "query"}, {"required", true},
                                   {"schema", {{"type", "string"}, {"enum", std::move(lineage_fields)}}}},
                      json::object{{"name", "as_of"}, {"in", "query"}, {"required", false},
                                   {"description", "only events recorded up to this time (YYYY-MM-DD or RFC 3339)"},
                                   {"schema", {{"type", "string"}}}}}},
                 {"responses", std::move(lineage_responses)}}}};
    if (spec.has_personal_fields()) {
      json::object erasure_responses{{"200", ok_entity(name, "Erased: as it now reads, [erased] in its personal fields")}};
      add_errors(erasure_responses, {"400", "401", "403", "404", "422"});
      paths[base + "/{id}/erasure"] = json::object{
          {"parameters", id_parameter()},
          {"post", {{"summary", "Erase a " + std::string(spec.type) + "'s personal data for good (admins only)"},
                    {"operationId", "erase" + name},
                    {"requestBody", json_body({{"type", "object"}, {"required", json::array{"reason"}},
                                               {"properties", {{"reason", {{"type", "string"}, {"minLength", 1}, {"maxLength", 1000}}}}}})},
                    {"responses", std::move(erasure_responses)}}}};
    }
  }

  json::object bulk_responses{
      {"200", {{"description", "Each item succeeded or failed on its own"},
               {"content", {{"application/json", {{"schema",
                 {{"type", "object"},
                  {"properties", {{"succeeded", {{"type", "array"}}}, {"failed", {{"type", "array"}}}}}}}}}}}}}};
  add_errors(bulk_responses, {"400", "401", "413", "415", "422"});
  paths["/api/v1/resource-assignments/bulk-update"] = json::object{
      {"post", {{"summary", "Update many resource assignments, each with its own version check"},
                {"operationId", "bulkUpdateResourceAssignments"},
                {"parameters", json::array{idempotency_key_parameter()}},
                {"requestBody", json_body({{"type", "array"}, {"maxItems", 1000},
                                           {"items", {{"type", "object"}, {"required", json::array{"id", "version"}},
                                                      {"properties", {{"id", {{"type", "string"}}},
                                                                      {"version", {{"type", "integer"}}},
                                                                      {"capital_percentage", {{"type", "integer"}}},
                                                                      {"expense_percentage", {{"type", "integer"}}}}}}}})},
                {"responses", std::move(bulk_responses)}}}};
  schemas["ResourceUtilisation"] = json::object{
      {"type", "object"},
      {"required", json::array{"resource_id", "from", "to", "days"}},
      {"properties",
       {{"resource_id", {{"type", "string"}, {"format", "uuid"}}},
        {"from", {{"type", "string"}, {"format", "date"}}},
        {"to", {{"type", "string"}, {"format", "date"}}},
        {"days", {{"type", "array"},
                  {"description", "One entry for every day from `from` to `to`, in order"},
                  {"items", {{"type", "object"},
                             {"required", json::array{"date", "allocated_percentage", "available_percentage"}},
                             {"properties", {{"date", {{"type", "string"}, {"format", "date"}}},
                                             {"allocated_percentage", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
                                             {"available_percentage", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}}}}}}}}}}};
  json::object utilisation_responses{
      {"200", {{"description", "The utilisation of the resource per day (asynchronous view: it may lag "
                               "the latest writes briefly; see folio_projection_lag_events in /metrics)"},
               {"content", {{"application/json", {{"schema", schema_ref("ResourceUtilisation")}}}}}}}};
  add_errors(utilisation_responses, {"400", "401", "404", "422"});
  json::array utilisation_parameters{
      json::object{{"name", "from"}, {"in", "query"}, {"required", true},
                   {"schema", {{"type", "string"}, {"format", "date"}}}},
      json::object{{"name", "to"}, {"in", "query"}, {"required", true},
                   {"description", "Inclusive; from <= to, at most 366 days in all"},
                   {"schema", {{"type", "string"}, {"format", "date"}}}}};
  json::object many_responses{
      {"200", {{"description", "The utilisation of each resource asked for, in that order; ids that do not exist or "
                               "the caller may not read are left out"},
               {"content", {{"application/json", {{"schema",
                 {{"type", "object"},
                  {"properties", {{"from", {{"type", "string"}, {"format", "date"}}},
                                  {"to", {{"type", "string"}, {"format", "date"}}},
                                  {"resources", {{"type", "array"}, {"items", schema_ref("ResourceUtilisation")}}}}}}}}}}}}}};
  add_errors(many_responses, {"400", "401", "422"});
  json::array many_parameters = utilisation_parameters;
  many_parameters.push_back(json::object{{"name", "resource_id"}, {"in", "query"}, {"required", true},
                                         {"description", "Resource ids, comma-separated (at most 200)"},
                                         {"schema", {{"type", "string"}}}});
  paths["/api/v1/resources/utilisation"] = json::object{
      {"get", {{"summary", "The utilisation of several resources per day, in one request (a calendar's rows)"},
               {"operationId", "resourcesUtilisation"},
               {"parameters", std::move(many_parameters)},
               {"responses", std::move(many_responses)}}}};
  paths["/api/v1/resources/{id}/utilisation"] = json::object{
      {"parameters", id_parameter()},
      {"get", {{"summary", "Allocated and available percentage of a resource per day, over all projects"},
               {"operationId", "resourceUtilisation"},
               {"parameters", std::move(utilisation_parameters)},
               {"responses", std::move(utilisation_responses)}}}};
  schemas["Event"] = json::object{
      {"type", "object"},
      {"description", "One event of the log, as `folio export` writes it"},
      {"required", json::array{"position", "stream_id", "entity_type", "entity_id", "version", "event_type", "recorded_at", "data"}},
      {"properties", {{"position", {{"type", "integer"}, {"description", "Global position: strictly increasing over the whole log"}}},
                      {"stream_id", {{"type", "string"}}},
                      {"entity_type", {{"type", "string"}}},
                      {"entity_id", {{"type", "string"}, {"format", "uuid"}}},
                      {"version", {{"type", "integer"}, {"description", "The entity's version after this event"}}},
                      {"event_type", {{"type", "string"}}},
                      {"schema_version", {{"type", "integer"}}},
                      {"recorded_at", {{"type", "string"}, {"format", "date-time"}}},
                      {"user_id", {{"type", "string"}, {"description", "Empty for system work (imports, the first admin)"}}},
                      {"request_id", {{"type", "string"}}},
                      {"command_id", {{"type", "string"}}},
                      {"data", {{"type", "object"}, {"description", "The fields the event set (all of them for a creation, the changed ones for an update, null = cleared; {} for a deletion)"}}}}}};
  json::object events_page{
      {"type", "object"},
      {"required", json::array{"items", "next_after", "more"}},
      {"properties",
       {{"items", {{"type", "array"}, {"items", schema_ref("Event")}}},
        {"next_after", {{"type", "integer"}, {"description", "Pass as `after` for the next page (the last position looked at, shown or not)"}}},
        {"more", {{"type", "boolean"}, {"description", "False when the page reached the end of the log"}}}}}};
  json::object events_content{{"application/json", {{"schema", std::move(events_page)}}},
                              {"text/event-stream", {{"schema", {{"type", "string"}}}}}};
  json::object events_responses{
      {"200", {{"description", "A page of events in the global order, those the caller may read. With "
                               "Accept: text/event-stream, a live Server-Sent Events stream instead: each "
                               "event as `id: <position>` and `data: <Event JSON>`, a `: heartbeat` comment "
                               "every 15 s when nothing else came; resume with Last-Event-ID"},
               {"content", std::move(events_content)}}}};
  add_errors(events_responses, {"400", "401", "503"});
  json::array events_parameters{
      json::object{{"name", "after"}, {"in", "query"}, {"description", "Events after this position (default 0: from the start)"},
                   {"schema", {{"type", "integer"}, {"minimum", 0}}}},
      json::object{{"name", "limit"}, {"in", "query"}, {"description", "Events per page (pages only)"},
                   {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}}}},
      json::object{{"name", "entity_type"}, {"in", "query"}, {"description", "Only these entity types, comma-separated (project,project_phase)"},
                   {"schema", {{"type", "string"}}}},
      json::object{{"name", "Last-Event-ID"}, {"in", "header"}, {"description", "As `after`, and wins over it (what EventSource sends when it reconnects)"},
                   {"schema", {{"type", "string"}}}}};
  json::object change_item{
      {"type", "object"},
      {"properties", {{"position", {{"type", "integer"}}},
                      {"entity_type", {{"type", "string"}}},
                      {"entity_id", {{"type", "string"}, {"format", "uuid"}}},
                      {"version", {{"type", "integer"}}},
                      {"event_type", {{"type", "string"}}},
                      {"recorded_at", {{"type", "string"}, {"format", "date-time"}}},
                      {"user_id", {{"type", json::array{"string", "null"}}}},
                      {"request_id", {{"type", "string"}}},
                      {"changes", {{"type", "object"}, {"description", "field: {\"from\": value, \"to\": value}"}}}}}};
  json::object changes_page{
      {"type", "object"},
      {"properties", {{"items", {{"type", "array"}, {"items", std::move(change_item)}}},
                      {"next_after", {{"type", "integer"}}},
                      {"more", {{"type", "boolean"}}}}}};
  json::object changes_responses{
      {"200", {{"description", "Field-level changes (from, to) of the events the caller may read, in the global order; page on with after=next_after while more"},
               {"content", {{"application/json", {{"schema", std::move(changes_page)}}}}}}}};
  add_errors(changes_responses, {"400", "401", "503"});
  json::array changes_parameters = events_parameters;
  changes_parameters.pop_back();  // Last-Event-ID: for streams
  for (const char* bound : {"since", "until"}) {
    changes_parameters.push_back(json::object{
        {"name", bound}, {"in", "query"},
        {"description", std::string(bound) == "since" ? "Recorded at or after this time" : "Recorded at or before this time"},
        {"schema", {{"type", "string"}}}});
  }
  changes_parameters.push_back(json::object{{"name", "user_id"}, {"in", "query"}, {"description", "Only this user's changes"},
                                            {"schema", {{"type", "string"}, {"format", "uuid"}}}});
  paths["/api/v1/changes"] = json::object{
      {"get", {{"summary", "Who changed what: field-level changes across every entity, in the global order"},
               {"operationId", "changes"},
               {"parameters", std::move(changes_parameters)},
               {"responses", std::move(changes_responses)}}}};
  paths["/api/v1/events"] = json::object{
      {"get", {{"summary", "The event feed: every change in the global order, as pages or live"},
               {"operationId", "events"},
               {"parameters", std::move(events_parameters)},
               {"responses", std::move(events_responses)}}}};
  json::object token_responses{
      {"200", {{"description", "A bearer token"},
               {"content", {{"application/json", {{"schema",
                 {{"type", "object"},
                  {"properties", {{"access_token", {{"type", "string"}}}, {"token_type", {{"type", "string"}}},
                                  {"expires_at", {{"type", "string"}, {"format", "date-time"}}}}}}}}}}}}}};
  add_errors(token_responses, {"400", "401", "415", "422", "429"});
  paths["/api/v1/auth/token"] = json::object{
      {"post", {{"summary", "Log in"}, {"operationId", "issueToken"}, {"security", json::array{}},
                {"requestBody", json_body({{"type", "object"}, {"required", json::array{"username", "password"}},
                                           {"properties", {{"username", {{"type", "string"}}}, {"password", {{"type", "string"}}}}}})},
                {"responses", std::move(token_responses)}}}};
  json::object me_responses{{"200", ok_entity("User", "The calling user with its roles")}};
  add_errors(me_responses, {"401"});
  paths["/api/v1/auth/me"] = json::object{{"get", {{"summary", "Who am I"}, {"operationId", "me"}, {"responses", std::move(me_responses)}}}};
  json::object health_responses{{"200", {{"description", "The store answers"}}},
                                {"503", response_ref("E503")}};
  paths["/healthz"] = json::object{
      {"get", {{"summary", "Health"}, {"operationId", "healthz"}, {"security", json::array{}},
               {"responses", std::move(health_responses)}}}};
  json::object text_content{{"text/plain", {{"schema", {{"type", "string"}}}}}};
  json::object metrics_responses{
      {"200", {{"description", "Text exposition format"}, {"content", std::move(text_content)}}}};
  paths["/metrics"] = json::object{
      {"get", {{"summary", "Prometheus metrics"}, {"operationId", "metrics"},
               {"security", json::array{}}, {"responses", std::move(metrics_responses)}}}};
  json::object openapi_responses{{"200", {{"description", "OpenAPI 3.1"}}}};
  paths["/api/v1/openapi.json"] = json::object{
      {"get", {{"summary", "This document"}, {"operationId", "openapi"},
               {"security", json::array{}}, {"responses", std::move(openapi_responses)}}}};

  json::object conflict_example = example_problem(409, "conflict", "Version conflict",
      "This project was changed by someone else after you loaded it. Your changes were not saved. "
      "Review the current values and apply your changes again.");
  conflict_example["entity_type"] = "project";
  conflict_example["entity_id"] = "0193a5c2-7d4e-7b1a-9c3e-2f1d0a9b8c7d";
  conflict_example["expected_version"] = 3;
  conflict_example["current_version"] = 5;
  conflict_example["current_state"] = json::object{{"id", "0193a5c2-7d4e-7b1a-9c3e-2f1d0a9b8c7d"}, {"version", 5}, {"name", "B"}};
  conflict_example["attempted_changes"] = json::object{{"name", "New name"}};
  conflict_example["changes_since"] = json::array{json::object{
      {"version", 4}, {"recorded_at", "2026-11-28T08:15:00.123Z"}, {"user_id", "0193a5c2-0000-7000-8000-000000000001"},
      {"changes", {{"name", {{"from", "A"}, {"to", "B"}}}}}}};
  json::object validation_example = example_problem(422, "validation", "Invalid request", "The request has invalid fields.");
  validation_example["errors"] = json::array{json::object{{"field", "end_date"}, {"message", "must be after start_date"}}};
  json::object responses{
      {"E400", problem_response("Malformed JSON or query parameter", example_problem(400, "bad_request", "Bad request", "The body is not valid JSON."))},
      {"E401", problem_response("Missing, malformed, expired or revoked token", example_problem(401, "unauthenticated", "Unauthenticated", "Send a valid bearer token."))},
      {"E403", problem_response("Role or scope does not allow it", example_problem(403, "forbidden", "Forbidden", "you may not change this project"))},
      {"E404", problem_response("Unknown or deleted entity", example_problem(404, "not_found", "Not found", "project 0193... does not exist"))},
      {"E409", {{"description", "A stale version (error: conflict) or a rule across entities (error: constraint)"},
                {"content", {{"application/problem+json", {{"schema", schema_ref("Conflict")}, {"example", std::move(conflict_example)}}}}}}},
      {"E413", problem_response("Body over 1 MiB", example_problem(413, "payload_too_large", "Payload too large", "The body is larger than 1 MiB."))},
      {"E415", problem_response("Body not JSON", example_problem(415, "unsupported_media_type", "Unsupported media type", "The body must be JSON."))},
      {"E422", problem_response("Invalid fields; every problem is listed", std::move(validation_example))},
      {"E429", problem_response("Too many failed logins for the user name or from the client address; Retry-After set", example_problem(429, "rate_limited", "Too many failed logins", "Too many failed logins for this user name or from this address; try again later."))},
      {"E503", problem_response("Store unreachable or server overloaded; Retry-After set", example_problem(503, "unavailable", "Unavailable", "Try again shortly."))}};

  return json::object{
      {"openapi", "3.1.0"},
      {"info", {{"title", "Folio command API"}, {"version", "1.0.0"},
                {"description", "Versioned planning entities with optimistic concurrency: every update "
                                "carries the version last seen; a stale one is refused with 409."}}},
      {"servers", json::array{json::object{{"url", "/"}}}},
      {"security", json::array{json::object{{"bearer", json::array{}}}}},
      {"paths", std::move(paths)},
      {"components", {{"schemas", std::move(schemas)}, {"responses", std::move(responses)},
                      {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
}

}  // namespace folio::http
