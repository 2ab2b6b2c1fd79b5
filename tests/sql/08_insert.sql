-- INSERT: column lists, multi-row VALUES, INSERT ... SELECT, ON CONFLICT DO NOTHING / DO UPDATE
-- (with EXCLUDED and WHERE), RETURNING (expressions, *, aliases), command tags.

CREATE TABLE items (
    id int PRIMARY KEY,
    sku text UNIQUE,
    qty int NOT NULL DEFAULT 0,
    price numeric(8,2),
    note text
); -- cairn: DISTRIBUTED BY (id)

INSERT INTO items VALUES (1, 'a', 5, 1.00, NULL);
INSERT INTO items (id, sku, qty) VALUES (2, 'b', 3), (3, 'c', 0), (4, 'd', 10);
INSERT INTO items (sku, id) VALUES ('e', 5);
INSERT INTO items (id, sku, qty, price) VALUES (6, 'f', 1, 2.5), (7, 'g', 2, 3.333), (8, NULL, 3, NULL);
SELECT * FROM items ORDER BY id;
INSERT INTO items (id, sku) VALUES (9, 'h'), (10); -- error 42601
INSERT INTO items (id, sku) VALUES (9, 'h', 1); -- error 42601
INSERT INTO items (id, nope) VALUES (9, 1); -- error 42703
INSERT INTO items (id, id) VALUES (9, 9); -- error 42701
INSERT INTO nosuch VALUES (1); -- error 42P01
INSERT INTO items VALUES ('x', 'h'); -- error 22P02
INSERT INTO items (id, qty) VALUES (9, 'many'); -- error 22P02
INSERT INTO items (id, qty) VALUES (9, 1.5e10); -- error 22003

INSERT INTO items (id, sku, qty) VALUES (20, 'r1', 1) RETURNING id, sku, qty;
INSERT INTO items (id, sku, qty, price) VALUES (21, 'r2', 2, 9.99), (22, 'r3', 3, 0.5) RETURNING *;
INSERT INTO items (id, sku) VALUES (23, 'r4') RETURNING qty, price, note IS NULL AS no_note, id * 2 AS twice;
INSERT INTO items (id, sku) VALUES (24, 'r5') RETURNING id AS new_id, upper(sku) AS s;
INSERT INTO items (id, sku) VALUES (25, 'r6') RETURNING nope; -- error 42703
SELECT count(*) FROM items WHERE id = 25;

CREATE TABLE items_copy (id int PRIMARY KEY, sku text, total numeric);
INSERT INTO items_copy SELECT id, sku, qty * price FROM items WHERE price IS NOT NULL;
SELECT * FROM items_copy ORDER BY id;
INSERT INTO items_copy (id, sku) SELECT id + 100, sku || '-copy' FROM items WHERE id < 4 ORDER BY id;
SELECT id, sku, total FROM items_copy WHERE id > 100 ORDER BY id;
INSERT INTO items_copy (id, sku) SELECT id, sku FROM items WHERE id = 1; -- error 23505
INSERT INTO items_copy (id) SELECT max(id) + 1 FROM items_copy RETURNING id;
INSERT INTO items_copy (id, total) SELECT 200, sum(qty) FROM items RETURNING total;
INSERT INTO items_copy (id, sku) SELECT id + 300, sku FROM items WHERE false;
INSERT INTO items_copy (id, sku) VALUES (400, (SELECT sku FROM items WHERE id = 2));
INSERT INTO items_copy (id, sku) SELECT 500 + n, 'gen' || n FROM (VALUES (1), (2), (3)) AS v(n);
SELECT id, sku FROM items_copy WHERE id >= 400 ORDER BY id;
SELECT count(*) FROM items_copy;

INSERT INTO items (id, sku, qty) VALUES (1, 'zzz', 99) ON CONFLICT DO NOTHING;
INSERT INTO items (id, sku, qty) VALUES (30, 'a', 99) ON CONFLICT DO NOTHING;
INSERT INTO items (id, sku, qty) VALUES (1, 'x1', 1), (31, 'x31', 31), (32, 'b', 32) ON CONFLICT DO NOTHING;
INSERT INTO items (id, sku, qty) VALUES (1, 'x1', 1) ON CONFLICT (id) DO NOTHING RETURNING id;
INSERT INTO items (id, sku, qty) VALUES (33, 'x33', 1) ON CONFLICT (id) DO NOTHING RETURNING id;
SELECT id, sku, qty FROM items WHERE id IN (1, 30, 31, 32, 33) ORDER BY id;
INSERT INTO items (id, sku, qty) VALUES (1, 'zzz', 99) ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty;
SELECT id, sku, qty FROM items WHERE id = 1;
INSERT INTO items AS i (id, sku, qty) VALUES (1, 'zzz', 1) ON CONFLICT (id) DO UPDATE SET qty = i.qty + EXCLUDED.qty, note = 'bumped' RETURNING id, sku, qty, note;
INSERT INTO items (id, sku, qty) VALUES (2, 'b', 7), (40, 'new40', 4) ON CONFLICT (id) DO UPDATE SET qty = items.qty * 100 RETURNING id, qty;
INSERT INTO items (id, sku, qty) VALUES (3, 'c', 5) ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty WHERE items.qty > 0 RETURNING id, qty;
INSERT INTO items (id, sku, qty) VALUES (4, 'd', 5) ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty WHERE items.qty > 0 RETURNING id, qty;
INSERT INTO items (id, sku, qty) VALUES (50, 'd', 5) ON CONFLICT (sku) DO UPDATE SET note = 'sku clash ' || EXCLUDED.id RETURNING id, sku, note;
INSERT INTO items (id, sku, qty) VALUES (50, 'd', 5) ON CONFLICT (id) DO UPDATE SET qty = 0; -- error 23505
INSERT INTO items (id, sku, qty) VALUES (60, 'u', 1), (60, 'u', 2) ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty; -- error 21000
INSERT INTO items (id, sku, qty) VALUES (61, 'v', 1), (61, 'v', 2) ON CONFLICT DO NOTHING;
INSERT INTO items (id, sku, qty) VALUES (62, 'w', 1) ON CONFLICT (qty) DO NOTHING; -- error 42P10
INSERT INTO items (id, sku, qty) VALUES (5, 'e', 1) ON CONFLICT (id) DO UPDATE SET id = 500;
INSERT INTO items (id, sku, qty) VALUES (6, 'f', 1) ON CONFLICT (id) DO UPDATE SET qty = NULL; -- error 23502
SELECT * FROM items ORDER BY id;
SELECT count(*), sum(qty) FROM items;

CREATE TABLE counters (k text PRIMARY KEY, n bigint NOT NULL);
INSERT INTO counters VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1;
INSERT INTO counters VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1;
INSERT INTO counters VALUES ('a', 1), ('b', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + EXCLUDED.n RETURNING k, n;
INSERT INTO counters SELECT k, 10 FROM counters ON CONFLICT (k) DO UPDATE SET n = counters.n * EXCLUDED.n RETURNING k, n;
SELECT * FROM counters ORDER BY k;
INSERT INTO counters VALUES ('big', 9223372036854775807) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1;
INSERT INTO counters VALUES ('big', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1; -- error 22003
SELECT k, n FROM counters WHERE k = 'big';
