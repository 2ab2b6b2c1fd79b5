-- Enough rows that a sharded Cairn spreads every table over its replicasets: scatter/gather
-- aggregates, global ORDER BY ... LIMIT/OFFSET, DISTINCT and GROUP BY across shards, joins on
-- keys that are not the distribution key, a replicated (GLOBALLY) dimension table, writes
-- that touch every shard, and keys at the edges of their types.

CREATE TABLE digits (d int PRIMARY KEY); -- cairn: DISTRIBUTED GLOBALLY
INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);

CREATE TABLE events (
    id bigint PRIMARY KEY,
    user_id int NOT NULL,
    kind text NOT NULL,
    amount numeric(12,2) NOT NULL,
    at timestamp NOT NULL,
    note text
); -- cairn: DISTRIBUTED BY (id)
-- The rows come from VALUES, not from a table, so loading needs no cross-replicaset query.
WITH ten (d) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))
INSERT INTO events (id, user_id, kind, amount, at, note)
SELECT n, n % 37, CASE n % 4 WHEN 0 THEN 'view' WHEN 1 THEN 'click' WHEN 2 THEN 'buy' ELSE 'refund' END, (n % 100) * 1.25,
       TIMESTAMP '2024-01-01 00:00:00' + n * interval '17 minutes',
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'n' || n END
FROM (SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d + 1 AS n
      FROM ten a, ten b, ten c, ten e) s
WHERE n <= 2500;

SELECT count(*), count(note), sum(amount), min(id), max(id), avg(amount), count(DISTINCT user_id) FROM events;
SELECT min(at), max(at), max(at) - min(at) FROM events;
SELECT kind, count(*), sum(amount), min(amount), max(amount), avg(amount) FROM events GROUP BY kind ORDER BY kind;
SELECT user_id, count(*), sum(amount) FROM events GROUP BY user_id ORDER BY sum(amount) DESC, user_id LIMIT 5;
SELECT user_id, kind, count(*) FROM events WHERE user_id < 3 GROUP BY user_id, kind ORDER BY user_id, kind;
SELECT count(*) FROM (SELECT user_id FROM events GROUP BY user_id HAVING count(*) > 67) t;
SELECT date_trunc('day', at) AS day, count(*) FROM events GROUP BY 1 ORDER BY 1 LIMIT 3;
SELECT extract(dow FROM at) AS dow, count(*) FROM events GROUP BY 1 ORDER BY 1;
SELECT id, amount FROM events ORDER BY amount DESC, id LIMIT 5;
SELECT id, amount FROM events ORDER BY amount, id DESC LIMIT 5 OFFSET 100;
SELECT id FROM events ORDER BY id DESC LIMIT 3;
SELECT id FROM events ORDER BY id LIMIT 4 OFFSET 2496;
SELECT id, note FROM events WHERE note IS NULL ORDER BY id LIMIT 5;
SELECT id, note FROM events ORDER BY note NULLS FIRST, id LIMIT 3;
SELECT id, note FROM events ORDER BY note DESC NULLS LAST, id LIMIT 3;
SELECT DISTINCT kind FROM events ORDER BY kind;
SELECT DISTINCT user_id % 5 AS m FROM events ORDER BY m;
SELECT count(DISTINCT (user_id, kind)) FROM events;
SELECT string_agg(id::text, ',' ORDER BY id) FROM events WHERE id % 500 = 0;
SELECT id, user_id, kind, amount, at, note FROM events WHERE id IN (1, 1000, 2500, 9999) ORDER BY id;
SELECT id FROM events WHERE id BETWEEN 1234 AND 1240 ORDER BY id;
SELECT id FROM events WHERE at >= TIMESTAMP '2024-01-30 00:00:00' AND at < TIMESTAMP '2024-01-30 02:00:00' ORDER BY id;
SELECT count(*) FROM events WHERE kind = 'buy' AND amount > 100;
SELECT sum(CASE WHEN kind = 'refund' THEN -amount ELSE amount END) AS net FROM events;
-- Sorted answers merged from every replicaset (each sorts its own rows): whole sorts, OFFSET
-- without LIMIT, numerics by value, text and timestamps descending, computed keys, result names
-- that are also columns, a co-located self-join with *.
SELECT id, amount FROM events WHERE user_id = 5 ORDER BY amount DESC, id;
SELECT id, kind, note FROM events WHERE user_id IN (3, 4) ORDER BY kind DESC, note NULLS FIRST, id;
SELECT id, at FROM events WHERE id % 50 = 1 ORDER BY at DESC;
SELECT id, amount * 3 AS triple FROM events WHERE user_id = 7 ORDER BY triple, id DESC;
SELECT id FROM events ORDER BY id OFFSET 2490;
SELECT id AS user_id, user_id AS id FROM events ORDER BY user_id DESC LIMIT 4;
SELECT user_id AS amount, amount AS user_id FROM events ORDER BY amount, user_id DESC, id LIMIT 6;
SELECT * FROM events a JOIN events b ON b.id = a.id WHERE a.id % 250 = 0 ORDER BY a.amount DESC, a.id;
SELECT DISTINCT user_id FROM events ORDER BY user_id DESC LIMIT 3 OFFSET 1;
SELECT id, note FROM events ORDER BY note DESC NULLS FIRST, id LIMIT 2 OFFSET 240;
SELECT id FROM events ORDER BY id LIMIT 0;

CREATE TABLE users (
    user_id int PRIMARY KEY,
    name text NOT NULL,
    country text
); -- cairn: DISTRIBUTED BY (user_id)
WITH ten (d) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))
INSERT INTO users SELECT a.d * 10 + b.d, 'user' || (a.d * 10 + b.d), CASE WHEN a.d % 3 = 0 THEN 'NO' WHEN a.d % 3 = 1 THEN 'IT' ELSE NULL END
FROM ten a, ten b WHERE a.d * 10 + b.d < 40;
SELECT count(*), count(country) FROM users;
SELECT u.country, count(*) AS events, sum(e.amount) FROM events e JOIN users u ON u.user_id = e.user_id GROUP BY u.country ORDER BY u.country NULLS LAST;
SELECT u.name, count(e.id) FROM users u LEFT JOIN events e ON e.user_id = u.user_id GROUP BY u.name HAVING count(e.id) = 0 ORDER BY u.name;
SELECT u.user_id, max(e.at) FROM users u JOIN events e ON e.user_id = u.user_id WHERE u.country = 'IT' GROUP BY u.user_id ORDER BY u.user_id LIMIT 4;
SELECT e.id, u.name FROM events e JOIN users u USING (user_id) WHERE e.id % 600 = 0 ORDER BY e.id;
SELECT d.d, count(e.id) FROM digits d LEFT JOIN events e ON e.id % 10 = d.d AND e.user_id = 5 GROUP BY d.d ORDER BY d.d;
SELECT u.user_id FROM users u WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = u.user_id AND e.kind = 'buy') ORDER BY u.user_id;
SELECT u.user_id, (SELECT count(*) FROM events e WHERE e.user_id = u.user_id AND e.amount > 120) AS big FROM users u WHERE u.user_id < 5 ORDER BY u.user_id;
SELECT user_id FROM users WHERE user_id IN (SELECT user_id FROM events WHERE amount = 123.75) ORDER BY user_id;
SELECT kind FROM events WHERE id < 100 UNION SELECT country FROM users WHERE country IS NOT NULL ORDER BY 1;
WITH per_user AS (SELECT user_id, sum(amount) AS total FROM events GROUP BY user_id)
SELECT u.country, max(p.total), min(p.total) FROM per_user p JOIN users u ON u.user_id = p.user_id GROUP BY u.country ORDER BY u.country NULLS FIRST;

UPDATE events SET amount = amount + 0.01 WHERE kind = 'view';
SELECT kind, sum(amount) FROM events GROUP BY kind ORDER BY kind;
UPDATE events SET note = 'x' || id WHERE note IS NULL RETURNING id, note;
DELETE FROM events WHERE id % 7 = 0;
SELECT count(*), sum(id) FROM events;
DELETE FROM events WHERE id > 2400 RETURNING id, kind;
SELECT count(*), max(id) FROM events;
INSERT INTO events SELECT id + 10000, user_id, kind, amount, at, note FROM events WHERE id <= 50;
SELECT count(*), min(id), max(id) FROM events WHERE id > 10000;
UPDATE events SET id = id + 100000 WHERE id > 10000 AND id < 10010;
SELECT id FROM events WHERE id > 10000 ORDER BY id LIMIT 12;
INSERT INTO events VALUES (3, 1, 'dup', 0, '2024-01-01', NULL); -- error 23505
INSERT INTO events VALUES (9223372036854775807, 1, 'max', 1, '2024-01-01', NULL), (-9223372036854775808, 1, 'min', -1, '2024-01-01', NULL);
SELECT id, kind FROM events WHERE id > 1000000 OR id < 0 ORDER BY id;
SELECT id, kind FROM events WHERE id = 9223372036854775807;
DELETE FROM events WHERE kind IN ('max', 'min');
TRUNCATE events;
SELECT count(*) FROM events;

CREATE TABLE kv (k text PRIMARY KEY, v int NOT NULL); -- cairn: DISTRIBUTED BY (k)
WITH ten (d) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))
INSERT INTO kv SELECT 'key-' || (a.d * 10 + b.d), a.d * 10 + b.d FROM ten a, ten b;
INSERT INTO kv VALUES ('', -1), ('ü', -2), ('😀', -3), ('a b', -4), (repeat('z', 500), -5);
SELECT count(*), sum(v) FROM kv;
SELECT k, v FROM kv WHERE v < 0 ORDER BY k;
SELECT k FROM kv ORDER BY k LIMIT 5;
SELECT k FROM kv ORDER BY k DESC LIMIT 3;
SELECT v FROM kv WHERE k = 'key-42';
SELECT v FROM kv WHERE k IN ('key-1', 'key-99', 'nope', '') ORDER BY v;
UPDATE kv SET v = v * 2 WHERE k LIKE 'key-9%' RETURNING k, v;
INSERT INTO kv VALUES ('key-5', 0) ON CONFLICT (k) DO UPDATE SET v = kv.v + 1000 RETURNING k, v;
SELECT sum(v) FROM kv;
