#include "commands/validation.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "events/sealed_value.h"
#include "projections/money.h"

namespace folio::commands {

namespace {

using events::FieldKind;
using events::FieldSpec;
using events::FieldValue;

std::string trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

bool is_email(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const auto domain = s.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '<' || c == '>' || c == ',' || c == ';';
  });
}

const char* type_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::percentage:
      return "an integer";
    case FieldKind::boolean:
      return "a boolean";
    case FieldKind::money:
      return "a decimal string such as \"1250.00\"";
    case FieldKind::date:
      return "a date string YYYY-MM-DD";
    case FieldKind::reference:
      return "a UUID string";
    default:
      return "a string";
  }
}

// Validates and normalizes one non-null value; returns an error message or "".
std::string check_value(const FieldSpec& spec, FieldValue& value) {
  if (spec.kind == FieldKind::percentage) {
    const auto* n = std::get_if<std::int64_t>(&value);
    if (!n) return std::string("must be ") + type_name(spec.kind);
    if (*n < 0 || *n > 100) return "must be between 0 and 100";
    return "";
  }
  if (spec.kind == FieldKind::boolean) {
    return std::holds_alternative<bool>(value) ? "" : "must be a boolean";
  }
  auto* text = std::get_if<std::string>(&value);
  if (!text) return std::string("must be ") + type_name(spec.kind);
  const long length = utf8_length(*text);
  if (length < 0) return "must be valid UTF-8";
  // PostgreSQL cannot store U+0000 in text (and would cut a parameter there): refused on
  // both backends alike.
  if (text->find('\0') != std::string::npos) return "must not contain the character U+0000";
  switch (spec.kind) {
    case FieldKind::text:
    case FieldKind::email: {
      *text = trim(*text);
      if (text->empty()) return "must not be empty";
      if (utf8_length(*text) > spec.max_length) {
        return "must be at most " + std::to_string(spec.max_length) + " characters";
      }
      if (spec.kind == FieldKind::email && !is_email(*text)) return "must be a valid email address";
      if (spec.personal && *text == events::kErasedMarker) return "is reserved for erased values";
      return "";
    }
    case FieldKind::password:
      if (length < 8) return "must be at least 8 characters";
      if (length > spec.max_length) {
        return "must be at most " + std::to_string(spec.max_length) + " characters";
      }
      return "";
    case FieldKind::reference:
      std::transform(text->begin(), text->end(), text->begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return is_uuid(*text) ? "" : "must be a UUID";
    case FieldKind::date:
      return is_date(*text) ? "" : "must be a valid date YYYY-MM-DD";
    case FieldKind::money: {
      const auto cents = projections::parse_money(*text);
      if (!cents) return "must be a decimal string with two fraction digits, such as \"1250.00\"";
      if (spec.must_be_positive ? *cents <= 0 : *cents < 0) {
        return spec.must_be_positive ? "must be greater than 0" : "must not be negative";
      }
      *text = projections::format_money(*cents);
      return "";
    }
    case FieldKind::choice: {
      const bool allowed =
          std::find(spec.choices.begin(), spec.choices.end(), *text) != spec.choices.end();
      if (allowed) return "";
      std::string list;
      for (auto c : spec.choices) list += (list.empty() ? "" : ", ") + std::string(c);
      return "must be one of: " + list;
    }
    default:
      return "";
  }
}

FieldValue default_of(const FieldSpec& spec) {
  if (spec.kind == FieldKind::boolean) return spec.default_value == "true";
  return std::string(spec.default_value);
}

}  // namespace

ValidatedFields validate_fields(const events::EntitySpec& spec, const FieldMap& input,
                                ValidationMode mode) {
  ValidatedFields result;
  for (const auto& [name, raw] : input) {
    const FieldSpec* field = spec.field(name);
    if (!field) {
      const auto derived = events::derived_fields(spec.type);
      const bool read_only = std::find(derived.begin(), derived.end(), name) != derived.end() ||
                             name == "created_at" || name == "updated_at";
      result.errors.push_back(
          {name, read_only ? "is read-only" : "is not a field of " + std::string(spec.type)});
      continue;
    }
    FieldValue value = raw;
    if (events::is_null(value)) {
      if (field->required) {
        result.errors.push_back({name, "is required"});
      } else if (mode == ValidationMode::update) {
        if (field->clearable()) {
          result.fields.emplace(name, value);  // clears the optional field
        } else {
          result.errors.push_back({name, "cannot be cleared"});
        }
      }
      // On create a null is the same as an absent field: its default, its computed value,
      // or nothing.
      continue;
    }
    if (auto message = check_value(*field, value); !message.empty()) {
      result.errors.push_back({name, std::move(message)});
      continue;
    }
    result.fields.emplace(name, std::move(value));
  }
  if (mode == ValidationMode::create) {
    for (const auto& field : spec.fields) {
      const auto sent = input.find(field.name);
      // Sent and already checked (valid, or reported), or sent as null when required.
      if (sent != input.end() && (!events::is_null(sent->second) || field.required)) continue;
      if (!field.default_value.empty()) {
        result.fields.emplace(field.name, default_of(field));
      } else if (field.required) {
        result.errors.push_back({std::string(field.name), "is required"});
      }
    }
  }
  return result;
}

std::vector<FieldError> check_entity_rules(const events::EntitySpec& spec, const FieldMap& state) {
  std::vector<FieldError> errors;
  for (const auto& range : spec.date_ranges) {
    const std::string start = projections::text_field(state, range.start);
    const std::string end = projections::text_field(state, range.end);
    if (start.empty() || end.empty()) continue;
    if (range.allow_equal ? end < start : end <= start) {
      errors.push_back({std::string(range.end),
                        std::string("must be ") + (range.allow_equal ? "on or after " : "after ") +
                            std::string(range.start)});
    }
  }
  if (spec.type == "resource_assignment") {
    if (projections::int_field(state, "capital_percentage") +
            projections::int_field(state, "expense_percentage") >
        100) {
      errors.push_back({"expense_percentage",
                        "capital_percentage + expense_percentage must not "
                        "exceed 100"});
    }
  }
  if (spec.type == "scope_assignment") {
    const std::string scope = projections::text_field(state, "scope_type");
    const bool has_program = !projections::text_field(state, "program_id").empty();
    const bool has_project = !projections::text_field(state, "project_id").empty();
    if (scope == "global" && (has_program || has_project)) {
      errors.push_back({"scope_type", "a global scope takes neither program_id nor project_id"});
    } else if (scope == "program" && (!has_program || has_project)) {
      errors.push_back({"program_id", "a program scope takes program_id and no project_id"});
    } else if (scope == "project" && (!has_project || has_program)) {
      errors.push_back({"project_id", "a project scope takes project_id and no program_id"});
    }
  }
  if (spec.type == "actual") {
    const auto cost = projections::parse_money(projections::text_field(state, "actual_cost"));
    const auto capital = projections::parse_money(projections::text_field(state, "capital_amount"));
    const auto expense = projections::parse_money(projections::text_field(state, "expense_amount"));
    if (cost && capital && expense && *capital + *expense != *cost) {
      errors.push_back({"actual_cost", "must equal capital_amount + expense_amount"});
    }
  }
  return errors;
}

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = t[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace {
// Random bytes for ids, drawn from libsodium 4 KiB at a time per thread: one getrandom(2)
// call per 256 ids instead of one per id (every request gets an id).
void random_bytes_for_id(unsigned char* out, std::size_t n) {
  thread_local unsigned char pool[4096];
  thread_local std::size_t used = sizeof pool;
  if (used + n > sizeof pool) {
    randombytes_buf(pool, sizeof pool);
    used = 0;
  }
  std::memcpy(out, pool + used, n);
  sodium_memzero(pool + used, n);  // each byte is handed out once
  used += n;
}
}  // namespace

std::string new_id() {
  unsigned char bytes[16];
  random_bytes_for_id(bytes, sizeof bytes);
  const auto ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  bytes[6] = static_cast<unsigned char>(0x70 | (bytes[6] & 0x0f));  // version 7
  bytes[8] = static_cast<unsigned char>(0x80 | (bytes[8] & 0x3f));  // RFC 4122 variant
  // 8-4-4-4-12 lowercase hex digits (by hand: snprintf was 2 % of the event loops).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // past a dash
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

bool is_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  const int year = std::stoi(std::string(t.substr(0, 4)));
  const int month = std::stoi(std::string(t.substr(5, 2)));
  const int day = std::stoi(std::string(t.substr(8, 2)));
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

long utf8_length(std::string_view text) {
  // The smallest code point each sequence length may encode (shorter would be overlong).
  static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  long count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (n == 0 || i + n > text.size()) return -1;
    std::uint32_t code_point = n == 1 ? c : c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xc0) != 0x80) return -1;
      code_point = (code_point << 6) | (continuation & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values beyond Unicode are not UTF-8 (and
    // PostgreSQL would refuse to store them).
    if (code_point < kMinimum[n] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return -1;
    }
    i += n;
    ++count;
  }
  return count;
}

}  // namespace folio::commands
