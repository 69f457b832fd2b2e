DROP FUNCTION IF EXISTS folio_both_or_neither(bigint, bigint);
