-- usrloc db_mode 2 (WRITE_BACK): the timer flushes a refreshed contact with an UPDATE by ruid
-- (db_update_ucontact_ruid; the 18 columns it sets). Kamailio sends expires/last_modified as
-- local-time literals; here the server computes them, so each refresh changes them as Kamailio's do.
-- pgbench reads "::" as a cast, so the contact is concatenated where Kamailio sends one literal.
\set n random(:first, :first + :users - 1)
\set cseq random(2, 100000)
update location set expires=localtimestamp(0) + interval '3600 seconds',q=1,cseq=:cseq,flags=0,cflags=0,user_agent='Yealink SIP-T46S 66.86.0.15',received=NULL,path=NULL,socket='udp:10.0.0.10:5060',methods=NULL,last_modified=localtimestamp(0),callid='ulcx-callid-:n',instance=NULL,reg_id=0,server_id=0,connection_id=-1,keepalive=0,contact='sip:' || ':n' || '@10.20.30.40:5060' where ruid='ulcx-:n';
