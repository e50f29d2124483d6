-- Source data of the demo: 100,000 orders from 2,000 customers. Re-running resets it.
DROP SCHEMA IF EXISTS shop CASCADE;
DROP SCHEMA IF EXISTS dw CASCADE;
DROP SCHEMA IF EXISTS sluice CASCADE;
CREATE SCHEMA shop;
CREATE SCHEMA dw;
CREATE TABLE shop.customers (id int PRIMARY KEY, name text NOT NULL, country text NOT NULL);
INSERT INTO shop.customers
  SELECT g, 'Customer ' || g, (ARRAY['DE','FR','NL','PL','ES','IT'])[1 + g % 6] FROM generate_series(1, 2000) g;
CREATE TABLE shop.orders (
  id bigint PRIMARY KEY,
  customer_id int NOT NULL REFERENCES shop.customers (id),
  amount numeric(12, 2) NOT NULL,
  currency text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  meta jsonb
);
INSERT INTO shop.orders
  SELECT g, 1 + g % 2000, round((5 + (g * 7919) % 50000 / 100.0)::numeric, 2), 'EUR',
         (ARRAY['paid','shipped','refunded'])[1 + g % 3],
         timestamptz '2024-01-01' + g * interval '5 minutes', jsonb_build_object('channel', CASE WHEN g % 4 = 0 THEN 'app' ELSE 'web' END)
  FROM generate_series(1, 100000) g;
