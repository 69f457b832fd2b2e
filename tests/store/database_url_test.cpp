// FOLIO_DB URL parsing and redaction (what operators type and what logs show).
#include "store/database_url.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace folio::store {
namespace {

using Kind = DatabaseUrl::Kind;

TEST(ParseDatabaseUrl, SqliteAbsolutePath) {
  const auto url = parse_database_url("sqlite:///var/lib/folio/folio.db");
  EXPECT_EQ(url.kind, Kind::sqlite);
  EXPECT_EQ(url.target, "/var/lib/folio/folio.db");
}

TEST(ParseDatabaseUrl, SqliteRelativePathWithSlashes) {
  const auto url = parse_database_url("sqlite://data/folio.db");
  EXPECT_EQ(url.kind, Kind::sqlite);
  EXPECT_EQ(url.target, "data/folio.db");
}

TEST(ParseDatabaseUrl, SqliteRelativePathWithoutSlashes) {
  const auto url = parse_database_url("sqlite:folio.db");
  EXPECT_EQ(url.kind, Kind::sqlite);
  EXPECT_EQ(url.target, "folio.db");
  EXPECT_EQ(parse_database_url("sqlite:data/x.db").target, "data/x.db");
}

TEST(ParseDatabaseUrl, PostgresqlKeepsTheWholeUrlForLibpq) {
  const std::string text = "postgresql://folio:pw@db.example:5432/folio?sslmode=require";
  const auto url = parse_database_url(text);
  EXPECT_EQ(url.kind, Kind::postgresql);
  EXPECT_EQ(url.target, text);
}

TEST(ParseDatabaseUrl, PostgresSchemeAliasIsAccepted) {
  const std::string text = "postgres://folio@localhost/folio";
  const auto url = parse_database_url(text);
  EXPECT_EQ(url.kind, Kind::postgresql);
  EXPECT_EQ(url.target, text);
}

TEST(ParseDatabaseUrl, RejectsUnknownSchemes) {
  EXPECT_THROW(parse_database_url("mysql://root@localhost/folio"), std::invalid_argument);
  EXPECT_THROW(parse_database_url("http://localhost/folio"), std::invalid_argument);
  EXPECT_THROW(parse_database_url("/var/lib/folio/folio.db"), std::invalid_argument);
  EXPECT_THROW(parse_database_url(""), std::invalid_argument);
  EXPECT_THROW(parse_database_url("postgresql:folio"), std::invalid_argument);
}

TEST(ParseDatabaseUrl, RejectsSqliteUrlWithoutAFile) {
  EXPECT_THROW(parse_database_url("sqlite:"), std::invalid_argument);
  EXPECT_THROW(parse_database_url("sqlite://"), std::invalid_argument);
}

TEST(ParseDatabaseUrl, ErrorMessageNamesTheUrlButNotItsPassword) {
  try {
    parse_database_url("mysql://root:hunter2@db.example/folio");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("db.example"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
}

TEST(RedactDatabaseUrl, HidesThePassword) {
  EXPECT_EQ(redact_database_url("postgresql://folio:s3cret@db.example:5432/folio"),
            "postgresql://folio:***@db.example:5432/folio");
  EXPECT_EQ(redact_database_url("postgres://u:p:with:colons@h/db"), "postgres://u:***@h/db");
}

TEST(RedactDatabaseUrl, HidesAPasswordGivenAsQueryParameter) {
  // libpq also accepts the password as a URI parameter.
  const std::string redacted =
      redact_database_url("postgresql://folio@db.example/folio?password=s3cret&sslmode=require");
  EXPECT_EQ(redacted.find("s3cret"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("db.example"), std::string::npos) << redacted;
}

// Found by fuzz/database_url_fuzz.cpp: libpq reads these as passwords too.
TEST(RedactDatabaseUrl, HidesEveryPasswordHoweverItIsSpelled) {
  // A password with '@' (libpq ends the user information at the last '@').
  EXPECT_EQ(redact_database_url("postgresql://folio:s3@cret@db.example/folio"),
            "postgresql://folio:***@db.example/folio");
  // Given twice (libpq takes the last), and with a percent-encoded key.
  EXPECT_EQ(redact_database_url("postgresql://h/db?password=first&sslmode=require&password=second"),
            "postgresql://h/db?password=***&sslmode=require&password=***");
  EXPECT_EQ(redact_database_url("postgresql://h/db?%70assword=s3cret"),
            "postgresql://h/db?%70assword=***");
}

TEST(PostgresOptions, AreAddedPercentEncodedBeforeTheUrlsOwn) {
  EXPECT_EQ(with_postgres_options("postgresql://h/db", "-c statement_timeout=30000"),
            "postgresql://h/db?options=-c%20statement_timeout%3D30000");
  EXPECT_EQ(with_postgres_options("postgresql://h/db?sslmode=disable", "-c x=1"),
            "postgresql://h/db?sslmode=disable&options=-c%20x%3D1");
  EXPECT_EQ(with_postgres_options("postgresql://h/db?", "-c x=1"),
            "postgresql://h/db?options=-c%20x%3D1");
  EXPECT_EQ(with_postgres_options("postgresql://h/db?sslmode=disable&options=-c%20y%3D2", "-c x=1"),
            "postgresql://h/db?sslmode=disable&options=-c%20x%3D1%20-c%20y%3D2");
}

TEST(RedactDatabaseUrl, LeavesUrlsWithoutPasswordUnchanged) {
  EXPECT_EQ(redact_database_url("postgresql://folio@db.example:5432/folio"),
            "postgresql://folio@db.example:5432/folio");
  EXPECT_EQ(redact_database_url("postgresql://db.example:5432/folio"),
            "postgresql://db.example:5432/folio");
  EXPECT_EQ(redact_database_url("sqlite:///var/lib/folio/folio.db"),
            "sqlite:///var/lib/folio/folio.db");
}

}  // namespace
}  // namespace folio::store
