-- usrloc db_mode 3 (DB_ONLY): a re-REGISTER. save("location") reads the AoR (db_load_urecord),
-- then updates the matched contact by ruid (db_update_ucontact_ruid); each statement autocommits.
\set n random(:first, :first + :users - 1)
\set cseq random(2, 100000)
select contact,expires,q,callid,cseq,flags,cflags,user_agent,received,path,socket,methods,last_modified,ruid,instance,reg_id,server_id,connection_id,keepalive from location where username=':n' order by q;
update location set expires=localtimestamp(0) + interval '3600 seconds',q=1,cseq=:cseq,flags=0,cflags=0,user_agent='Yealink SIP-T46S 66.86.0.15',received=NULL,path=NULL,socket='udp:10.0.0.10:5060',methods=NULL,last_modified=localtimestamp(0),callid='ulcx-callid-:n',instance=NULL,reg_id=0,server_id=0,connection_id=-1,keepalive=0,contact='sip:' || ':n' || '@10.20.30.40:5060' where ruid='ulcx-:n';
