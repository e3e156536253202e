-- auth_db, auth_check("$fd", "subscriber", ...) with password_column "ha1": the credential
-- lookup of every challenged REGISTER/INVITE, as db_postgres sends it (literal values, simple
-- protocol, no prepared statement). Variables: -D first=<first username> -D users=<count> -D domain=<realm>.
\set n random(:first, :first + :users - 1)
select ha1 from subscriber where username=':n' AND domain=':domain';
