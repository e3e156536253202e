-- One registered contact per subscriber, identical in voipdb's kamailio schema and in Kamailio's
-- stock schema (run with search_path set to the schema that holds `location`). $1 = first
-- username, $2 = how many. As usrloc writes them with use_domain=0: no domain, ruid as key.
INSERT INTO location (ruid, username, domain, contact, received, path, expires, q, callid, cseq,
                      last_modified, flags, cflags, user_agent, socket, methods, instance, reg_id,
                      server_id, connection_id, keepalive, partition)
SELECT 'ulcx-' || n, n::text, NULL, 'sip:' || n || '@10.20.30.40:5060', NULL, NULL,
       localtimestamp(0) + interval '3600 seconds', 1, 'ulcx-callid-' || n, 1,
       localtimestamp(0), 0, 0, 'Yealink SIP-T46S 66.86.0.15', 'udp:10.0.0.10:5060', NULL, NULL, 0,
       0, -1, 0, 0
  FROM generate_series($1::integer, $1::integer + $2::integer - 1) AS n
