-- The guard of a command's one-statement write (store/postgres/pg_transaction.cpp, "with
-- along"): the read-model row and the event are written together or not at all. Called with
-- the rows the statement changed in each; a difference fails the whole statement. Only a
-- write that bypassed Folio (a read model and a stream that disagree) can cause one.
CREATE FUNCTION folio_both_or_neither(along bigint, events bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF along <> events THEN
    RAISE EXCEPTION 'a read-model row and its event stream disagree (a write bypassed Folio)'
      USING ERRCODE = 'data_corrupted';
  END IF;
  RETURN events;
END;
$$;
