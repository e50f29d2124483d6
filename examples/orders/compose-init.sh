#!/bin/sh
# docker-compose.yml: the postgres image runs this once, on its first start, to create and seed
# the example's shop and warehouse database (sluice_example) next to Sluice's own (sluice).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c 'CREATE DATABASE sluice_example'
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname sluice_example -f /seed/orders.sql
