#include "store/postgres/pg_values.h"

#include <libpq-fe.h>

namespace folio::store::postgres {

void PgResultDeleter::operator()(PGresult* result) const { PQclear(result); }

}  // namespace folio::store::postgres
