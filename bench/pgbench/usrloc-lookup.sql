-- usrloc db_mode 3 (DB_ONLY): lookup("location") / get_urecord() loads the AoR's contacts from
-- the database on every request (db_load_urecord: 19 columns, ordered by q; use_domain=0).
\set n random(:first, :first + :users - 1)
select contact,expires,q,callid,cseq,flags,cflags,user_agent,received,path,socket,methods,last_modified,ruid,instance,reg_id,server_id,connection_id,keepalive from location where username=':n' order by q;
