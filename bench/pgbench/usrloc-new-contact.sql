-- usrloc db_mode 2 and 3: a new contact is INSERTed (db_insert_ucontact: 21 columns, use_domain=0)
-- and, when it is unregistered or expires, DELETEd by ruid (db_delete_ucontact_ruid). The pair
-- keeps the table at its size. The ruid is random per transaction, as Kamailio's are unique.
\set n random(:first, :first + :users - 1)
\set r random(1, 1000000000000)
insert into location (username,contact,expires,q,callid,cseq,flags,cflags,user_agent,received,path,socket,methods,last_modified,ruid,instance,reg_id,server_id,connection_id,keepalive,partition) values (':n','sip:' || ':n' || '@10.99.0.1:5062;transport=udp',localtimestamp(0) + interval '3600 seconds',1,'ulcn-callid-:r',1,0,0,'Grandstream GXP2170 1.0.11.23',NULL,NULL,'udp:10.0.0.10:5060',NULL,localtimestamp(0),'ulcn-:client_id-:r',NULL,0,0,-1,0,0);
delete from location where ruid='ulcn-:client_id-:r';
