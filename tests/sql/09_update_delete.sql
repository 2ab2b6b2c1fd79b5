-- UPDATE and DELETE: WHERE with expressions and subqueries, several columns, expressions that
-- read the old row, RETURNING, UPDATE ... FROM, DELETE ... USING, zero-row and all-row forms.

CREATE TABLE stock (
    id int PRIMARY KEY,
    name text NOT NULL,
    qty int NOT NULL,
    price numeric(8,2),
    tag text
); -- cairn: DISTRIBUTED BY (id)
INSERT INTO stock VALUES
    (1, 'apple', 10, 0.50, 'fruit'),
    (2, 'banana', 0, 0.25, 'fruit'),
    (3, 'carrot', 7, 0.10, 'veg'),
    (4, 'durian', 1, 9.99, 'fruit'),
    (5, 'eggplant', 3, 1.20, 'veg'),
    (6, 'fig', 25, 0.75, NULL),
    (7, 'garlic', 100, 0.05, 'veg'),
    (8, 'honey', 2, 5.00, NULL);

UPDATE stock SET qty = qty + 1 WHERE id = 1;
UPDATE stock SET qty = qty + 1 WHERE id = 999;
UPDATE stock SET qty = qty * 2, price = price + 0.01 WHERE tag = 'veg';
UPDATE stock SET tag = 'misc' WHERE tag IS NULL;
SELECT * FROM stock ORDER BY id;
UPDATE stock SET qty = 0 WHERE qty < 0;
UPDATE stock SET price = price * 1.1 WHERE name LIKE '%a%' RETURNING id, name, price;
UPDATE stock SET qty = qty - 1 WHERE id = 4 RETURNING qty, qty = 0 AS sold_out;
UPDATE stock SET name = upper(name), qty = qty + 1 WHERE id IN (1, 2) RETURNING *;
UPDATE stock SET qty = id WHERE false RETURNING id;
UPDATE stock SET qty = qty WHERE tag = 'fruit';
UPDATE stock SET (qty, tag) = (5, 'multi') WHERE id = 8 RETURNING id, qty, tag;
UPDATE stock SET qty = (SELECT max(qty) FROM stock) WHERE id = 5 RETURNING qty;
UPDATE stock SET tag = 'cheap' WHERE price < (SELECT avg(price) FROM stock) AND tag <> 'misc';
SELECT id, name, qty, price, tag FROM stock ORDER BY id;
UPDATE stock SET nope = 1; -- error 42703
UPDATE nosuch SET a = 1; -- error 42P01
UPDATE stock SET qty = 'lots' WHERE id = 1; -- error 22P02
UPDATE stock SET qty = NULL WHERE id = 1; -- error 23502
UPDATE stock SET qty = qty / 0 WHERE id = 1; -- error 22012
UPDATE stock SET qty = qty / (qty - qty) WHERE id = 999;
UPDATE stock SET qty = 2147483647 WHERE id = 7;
UPDATE stock SET qty = qty + 1 WHERE id = 7; -- error 22003
SELECT qty FROM stock WHERE id = 7;

CREATE TABLE price_changes (id int PRIMARY KEY, new_price numeric(8,2));
INSERT INTO price_changes VALUES (1, 0.99), (3, 0.15), (42, 1.00);
UPDATE stock SET price = pc.new_price FROM price_changes pc WHERE stock.id = pc.id RETURNING stock.id, stock.price;
UPDATE stock s SET qty = s.qty + 1000 FROM price_changes pc WHERE s.id = pc.id AND pc.new_price > 0.5;
SELECT id, qty, price FROM stock WHERE id IN (1, 3) ORDER BY id;

DELETE FROM stock WHERE id = 999;
DELETE FROM stock WHERE id = 2;
DELETE FROM stock WHERE qty > 100 RETURNING id, name;
DELETE FROM stock WHERE tag = 'misc' RETURNING *;
DELETE FROM stock s USING price_changes pc WHERE s.id = pc.id AND pc.new_price < 0.5 RETURNING s.id;
DELETE FROM stock WHERE id IN (SELECT id FROM price_changes);
SELECT id, name FROM stock ORDER BY id;
DELETE FROM stock WHERE nope = 1; -- error 42703
DELETE FROM stock WHERE name = 1; -- error 42883
DELETE FROM stock WHERE id = 'x'; -- error 22P02
DELETE FROM stock RETURNING id;
SELECT count(*) FROM stock;
DELETE FROM stock;
INSERT INTO stock VALUES (1, 'again', 1, 1, 'x'), (2, 'twice', 2, 2, 'y');
DELETE FROM stock WHERE id = 1 RETURNING id * 10 AS tenfold, name || '!' AS shout;
DELETE FROM price_changes;
SELECT (SELECT count(*) FROM stock) AS stock_rows, (SELECT count(*) FROM price_changes) AS change_rows;

CREATE TABLE moving (k int PRIMARY KEY, v text);
INSERT INTO moving VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');
UPDATE moving SET k = k + 100 WHERE k % 2 = 1 RETURNING k, v;
UPDATE moving SET k = k * 1000 RETURNING k;
SELECT k, v FROM moving ORDER BY k;
UPDATE moving SET k = 2000 WHERE k = 4000; -- error 23505
DELETE FROM moving WHERE k > 100000 RETURNING k, v;
SELECT count(*), min(k), max(k) FROM moving;
