-- Reference: the cheapest round trip pgbench can make.
SELECT 1;
