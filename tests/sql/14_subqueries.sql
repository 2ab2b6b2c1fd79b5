-- Subqueries: scalar (in SELECT, WHERE, ORDER BY; empty gives NULL, two rows give 21000),
-- IN / NOT IN (with NULLs), EXISTS / NOT EXISTS, correlated, ANY/ALL, derived tables in FROM,
-- LATERAL, subqueries in INSERT/UPDATE/DELETE.

CREATE TABLE cust (id int PRIMARY KEY, name text NOT NULL, tier text); -- cairn: DISTRIBUTED BY (id)
CREATE TABLE orders (
    id int PRIMARY KEY,
    cust_id int,
    total numeric(8,2) NOT NULL,
    status text NOT NULL
); -- cairn: DISTRIBUTED BY (id)
INSERT INTO cust VALUES (1, 'acme', 'gold'), (2, 'bolt', 'silver'), (3, 'core', NULL), (4, 'dyna', 'gold'), (5, 'echo', 'bronze');
INSERT INTO orders VALUES
    (10, 1, 100.00, 'paid'), (11, 1, 250.50, 'paid'), (12, 2, 75.25, 'open'),
    (13, 3, 10.00, 'void'), (14, NULL, 99.99, 'open'), (15, 4, 500.00, 'paid'),
    (16, 4, 0.01, 'open'), (17, 9, 1.00, 'paid');

SELECT id, name, (SELECT count(*) FROM orders o WHERE o.cust_id = c.id) AS n FROM cust c ORDER BY id;
SELECT id, (SELECT max(total) FROM orders o WHERE o.cust_id = c.id) AS biggest FROM cust c ORDER BY id;
SELECT id, (SELECT status FROM orders o WHERE o.cust_id = c.id ORDER BY total DESC LIMIT 1) AS top_status FROM cust c ORDER BY id;
SELECT (SELECT name FROM cust WHERE id = 1), (SELECT name FROM cust WHERE id = 99), (SELECT count(*) FROM cust);
SELECT (SELECT name FROM cust); -- error 21000
SELECT id FROM cust WHERE id = (SELECT cust_id FROM orders WHERE status = 'paid'); -- error 21000
SELECT id FROM cust WHERE id = (SELECT cust_id FROM orders WHERE id = 13);
SELECT id FROM cust WHERE id = (SELECT cust_id FROM orders WHERE id = 999);
SELECT id, total FROM orders WHERE total > (SELECT avg(total) FROM orders) ORDER BY id;
SELECT (SELECT 1, 2); -- error 42601
SELECT id FROM cust ORDER BY (SELECT sum(total) FROM orders o WHERE o.cust_id = cust.id) DESC NULLS LAST, id;

SELECT id, name FROM cust WHERE id IN (SELECT cust_id FROM orders) ORDER BY id;
SELECT id, name FROM cust WHERE id IN (SELECT cust_id FROM orders WHERE status = 'paid') ORDER BY id;
SELECT id, name FROM cust WHERE id NOT IN (SELECT cust_id FROM orders) ORDER BY id;
SELECT id, name FROM cust WHERE id NOT IN (SELECT cust_id FROM orders WHERE cust_id IS NOT NULL) ORDER BY id;
SELECT id FROM orders WHERE cust_id IN (SELECT id FROM cust WHERE tier = 'gold') ORDER BY id;
SELECT id FROM orders WHERE cust_id NOT IN (SELECT id FROM cust WHERE tier IS NOT NULL) ORDER BY id;
SELECT id FROM orders WHERE (cust_id, status) IN (SELECT id, 'paid' FROM cust) ORDER BY id;
SELECT 5 IN (SELECT cust_id FROM orders), 9 IN (SELECT cust_id FROM orders), 5 NOT IN (SELECT cust_id FROM orders), NULL IN (SELECT 1 WHERE false);
SELECT id FROM cust WHERE id IN (SELECT id, name FROM cust); -- error 42601

SELECT id, name FROM cust c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id) ORDER BY id;
SELECT id, name FROM cust c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id) ORDER BY id;
SELECT id FROM cust c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id AND o.status = 'open') AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id AND o.status = 'void') ORDER BY id;
SELECT EXISTS (SELECT 1 FROM orders WHERE total > 400), EXISTS (SELECT 1 FROM orders WHERE total > 1000), NOT EXISTS (SELECT NULL);
SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM cust c WHERE c.id = o.cust_id) ORDER BY id;
SELECT id FROM cust c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id HAVING count(*) > 1) ORDER BY id;

SELECT o.id, o.total FROM orders o WHERE o.total > (SELECT avg(o2.total) FROM orders o2 WHERE o2.cust_id = o.cust_id) ORDER BY o.id;
SELECT o.id FROM orders o WHERE o.total = (SELECT max(total) FROM orders o2 WHERE o2.status = o.status) ORDER BY o.id;
SELECT c.name, (SELECT string_agg(o.status, ',' ORDER BY o.id) FROM orders o WHERE o.cust_id = c.id) AS statuses FROM cust c ORDER BY c.name;
SELECT c.id FROM cust c WHERE (SELECT count(*) FROM orders o WHERE o.cust_id = c.id) = 2 ORDER BY c.id;
SELECT c.id, (SELECT count(*) FROM orders o WHERE o.cust_id = c.id AND o.total > (SELECT avg(total) FROM orders)) AS big FROM cust c ORDER BY c.id;

SELECT id FROM orders WHERE total > ALL (SELECT total FROM orders WHERE status = 'open') ORDER BY id;
SELECT id FROM orders WHERE total < ANY (SELECT total FROM orders WHERE status = 'void') ORDER BY id;
SELECT id FROM orders WHERE cust_id = ANY (SELECT id FROM cust WHERE tier = 'gold') ORDER BY id;
SELECT id FROM orders WHERE total >= SOME (SELECT total FROM orders WHERE cust_id = 4) ORDER BY id;
SELECT 1 = ALL (SELECT 1 WHERE false), 1 = ANY (SELECT 1 WHERE false), 2 > ALL (SELECT NULL::int), 2 > ANY (VALUES (1), (NULL));
SELECT id FROM orders WHERE cust_id = ANY (ARRAY[1, 2]) ORDER BY id;

SELECT s.status, s.n FROM (SELECT status, count(*) AS n FROM orders GROUP BY status) s ORDER BY s.n DESC, s.status;
SELECT avg(n) FROM (SELECT cust_id, count(*) AS n FROM orders GROUP BY cust_id) t;
SELECT * FROM (SELECT id, total * 2 AS dbl FROM orders) AS x WHERE dbl > 200 ORDER BY id;
SELECT t.tier, t.cnt FROM (SELECT tier, count(*) AS cnt FROM cust GROUP BY tier) t WHERE t.cnt > 1;
SELECT max(x.total) FROM (SELECT total FROM orders ORDER BY total LIMIT 3) x;
SELECT * FROM (SELECT id FROM cust) s JOIN (SELECT cust_id, sum(total) AS t FROM orders GROUP BY cust_id) o ON o.cust_id = s.id ORDER BY s.id;
SELECT * FROM (SELECT 1 AS a, 'x' AS b) t;
SELECT count(*) FROM (SELECT * FROM orders WHERE status = 'paid') p, (SELECT * FROM cust WHERE tier = 'gold') g WHERE p.cust_id = g.id;
SELECT * FROM (SELECT id FROM cust); -- error 42601
SELECT c.id, l.total FROM cust c CROSS JOIN LATERAL (SELECT total FROM orders o WHERE o.cust_id = c.id ORDER BY total DESC LIMIT 1) l ORDER BY c.id;
SELECT c.id, l.n FROM cust c LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders o WHERE o.cust_id = c.id) l ON true ORDER BY c.id;

CREATE TABLE big_orders (id int PRIMARY KEY, total numeric(8,2));
INSERT INTO big_orders SELECT id, total FROM orders WHERE total > (SELECT avg(total) FROM orders);
SELECT * FROM big_orders ORDER BY id;
UPDATE cust SET tier = 'vip' WHERE id IN (SELECT cust_id FROM orders GROUP BY cust_id HAVING sum(total) > 300);
UPDATE orders o SET total = total + (SELECT count(*) FROM cust c WHERE c.id = o.cust_id) WHERE status = 'open';
DELETE FROM orders WHERE cust_id NOT IN (SELECT id FROM cust) RETURNING id;
DELETE FROM orders o WHERE NOT EXISTS (SELECT 1 FROM cust c WHERE c.id = o.cust_id) RETURNING id;
SELECT c.id, c.tier, o.id, o.total FROM cust c LEFT JOIN orders o ON o.cust_id = c.id ORDER BY c.id, o.id;
