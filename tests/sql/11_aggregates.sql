-- Aggregates and grouping: count/sum/avg/min/max/string_agg/bool_*, DISTINCT and FILTER,
-- result types (sum(int) is bigint, sum(bigint) and avg(int) are numeric), empty input, NULLs,
-- GROUP BY expressions/ordinals, HAVING, and the grouping errors. Float columns hold binary
-- fractions only, so sums do not depend on the order rows are added in (shards add in any order).

CREATE TABLE sales (
    id int PRIMARY KEY,
    region text,
    product text NOT NULL,
    qty int,
    amount numeric(10,2),
    big bigint,
    ratio double precision,
    day date
); -- cairn: DISTRIBUTED BY (id)
INSERT INTO sales VALUES
    (1, 'north', 'apple', 10, 12.50, 9000000000000000000, 0.5, '2024-01-01'),
    (2, 'north', 'pear', 5, 7.25, 9000000000000000000, 0.25, '2024-01-01'),
    (3, 'south', 'apple', 7, 8.75, 1, 1.5, '2024-01-02'),
    (4, 'south', 'apple', NULL, NULL, NULL, NULL, '2024-01-02'),
    (5, 'east', 'plum', 1, 0.99, -5, -1, '2024-01-03'),
    (6, NULL, 'pear', 3, 4.35, 2, 2, NULL),
    (7, 'north', 'apple', 2, 2.50, 3, 0.125, '2024-01-03'),
    (8, 'south', 'plum', 8, 10.00, 4, 0.375, '2024-01-04'),
    (9, 'east', 'apple', 0, 0.00, 0, 0, '2024-01-04'),
    (10, NULL, 'kiwi', NULL, NULL, NULL, NULL, NULL);

SELECT count(*), count(qty), count(region), count(DISTINCT region), count(DISTINCT product) FROM sales;
SELECT sum(qty), sum(amount), sum(ratio), min(qty), max(qty), min(amount), max(day), min(product) FROM sales;
SELECT avg(qty), avg(amount), avg(ratio), avg(big) FROM sales;
SELECT sum(big) FROM sales;
SELECT sum(big::numeric) / count(big), sum(qty)::float8 / count(qty) FROM sales;
SELECT count(*), sum(qty), avg(qty), min(qty), max(qty), string_agg(product, ',') FROM sales WHERE false;
SELECT count(*) FROM sales WHERE qty IS NULL;
SELECT sum(DISTINCT qty), count(DISTINCT qty), avg(DISTINCT qty) FROM sales;
SELECT count(*) FILTER (WHERE qty > 5), sum(amount) FILTER (WHERE region = 'north'), max(qty) FILTER (WHERE product = 'plum') FROM sales;
SELECT string_agg(product, ', ' ORDER BY id) FROM sales;
SELECT string_agg(DISTINCT product, '|' ORDER BY product) FROM sales;
SELECT string_agg(region, ',' ORDER BY region DESC NULLS LAST, id) FROM sales;
SELECT bool_and(qty > 0), bool_or(qty > 9), bool_and(qty IS NOT NULL) FROM sales;
SELECT max(ratio) - min(ratio), sum(qty * amount), sum(qty) * 2 FROM sales;
SELECT count(1), count(NULL), count(''), sum(1), sum(NULL::int) FROM sales;
SELECT sum(2147483647) FROM sales;
SELECT sum(9223372036854775807) FROM sales;
SELECT stddev(qty), variance(qty), stddev_pop(amount), var_samp(ratio) FROM sales;
SELECT array_agg(id ORDER BY id) FROM sales WHERE region = 'north';

SELECT region, count(*) FROM sales GROUP BY region ORDER BY region;
SELECT region, count(*), sum(qty), avg(amount) FROM sales GROUP BY region ORDER BY region NULLS FIRST;
SELECT region, product, sum(qty) AS q FROM sales GROUP BY region, product ORDER BY region, product;
SELECT product, count(*) AS n FROM sales GROUP BY product HAVING count(*) > 1 ORDER BY n DESC, product;
SELECT product, sum(amount) FROM sales GROUP BY product HAVING sum(amount) > 10 ORDER BY product;
-- HAVING without GROUP BY: the whole input is one group, an empty one too
SELECT 'many' AS k FROM sales HAVING count(*) > 1;
SELECT 'none' AS k FROM sales WHERE false HAVING count(*) = 0;
SELECT 1 AS k FROM sales WHERE false HAVING count(*) > 0;
SELECT product, max(qty) FROM sales GROUP BY product HAVING max(qty) IS NULL;
SELECT region FROM sales GROUP BY region HAVING bool_and(qty > 0) ORDER BY region;
SELECT count(*) FROM sales HAVING count(*) > 5;
SELECT count(*) FROM sales HAVING count(*) > 50;
SELECT day, count(*) FROM sales GROUP BY 1 ORDER BY 1 NULLS LAST;
SELECT upper(product) AS p, count(*) FROM sales GROUP BY upper(product) ORDER BY p;
SELECT qty % 2 = 0 AS even, count(*) FROM sales WHERE qty IS NOT NULL GROUP BY qty % 2 = 0 ORDER BY even;
SELECT CASE WHEN qty >= 5 THEN 'big' WHEN qty >= 1 THEN 'small' ELSE 'none' END AS size, count(*), sum(qty) FROM sales GROUP BY 1 ORDER BY 1;
SELECT product AS prod, count(*) FROM sales GROUP BY prod ORDER BY prod;
SELECT region, count(*) FROM sales WHERE qty > 1 GROUP BY region HAVING sum(qty) >= 10 ORDER BY region;
SELECT region, product FROM sales GROUP BY region, product HAVING count(*) = 1 ORDER BY region NULLS FIRST, product;
SELECT product, min(id), max(id), count(DISTINCT region) FROM sales GROUP BY product ORDER BY min(id);
SELECT product, sum(qty) FROM sales GROUP BY product ORDER BY sum(qty) DESC NULLS LAST, product;
SELECT product, avg(qty)::numeric(10,3) FROM sales GROUP BY product ORDER BY product;
SELECT region, string_agg(product, '+' ORDER BY product, id) FROM sales GROUP BY region ORDER BY region NULLS LAST;
SELECT product, count(*) FILTER (WHERE region IS NULL) AS no_region FROM sales GROUP BY product ORDER BY product;
SELECT DISTINCT region FROM sales ORDER BY region;
SELECT count(*) FROM (SELECT DISTINCT product, region FROM sales) d;
SELECT region, sum(qty) FROM sales GROUP BY region HAVING region LIKE 'n%';
SELECT max(region) FROM sales WHERE region < 'south';

SELECT region, qty FROM sales GROUP BY region; -- error 42803
SELECT product, count(*) FROM sales; -- error 42803
SELECT count(*) FROM sales WHERE sum(qty) > 1; -- error 42803
SELECT sum(count(*)) FROM sales; -- error 42803
SELECT region FROM sales GROUP BY 5; -- error 42P10
SELECT sum(product) FROM sales; -- error 42883
SELECT avg(region) FROM sales; -- error 42883
SELECT id, count(*) FROM sales GROUP BY id HAVING id < 3 ORDER BY id;
SELECT id, product, count(*) FROM sales GROUP BY id ORDER BY id LIMIT 2;
