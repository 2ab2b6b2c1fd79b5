-- SELECT basics: WHERE, ORDER BY (ASC/DESC, NULLS FIRST/LAST defaults, expressions, ordinals,
-- aliases, several keys), LIMIT/OFFSET (also with ties broken by a unique key), DISTINCT,
-- DISTINCT ON, VALUES, SELECT without FROM.

CREATE TABLE people (
    id int PRIMARY KEY,
    name text NOT NULL,
    city text,
    age int,
    score numeric(5,1),
    joined date
); -- cairn: DISTRIBUTED BY (id)
INSERT INTO people VALUES
    (1, 'Ann', 'Oslo', 34, 88.5, '2020-03-01'),
    (2, 'bob', 'Rome', NULL, 72.0, '2021-07-15'),
    (3, 'Cid', NULL, 28, NULL, '2019-11-30'),
    (4, 'dee', 'Oslo', 45, 91.0, NULL),
    (5, 'Eve', 'Lima', 28, 65.5, '2022-01-01'),
    (6, 'fay', 'Rome', 51, 72.0, '2018-05-05'),
    (7, 'Gus', 'lima', 19, 99.9, '2023-09-09'),
    (8, 'Hal', NULL, NULL, NULL, NULL),
    (9, 'ivy', 'Oslo', 34, 50.0, '2020-03-01'),
    (10, 'Jon', 'Rome', 62, 80.0, '2017-12-31');

SELECT * FROM people ORDER BY id;
SELECT id, name FROM people WHERE city = 'Oslo' ORDER BY id;
SELECT id FROM people WHERE age > 30 AND city <> 'Rome' ORDER BY id;
SELECT id FROM people WHERE age > 30 OR city IS NULL ORDER BY id;
SELECT id FROM people WHERE NOT (age > 30) ORDER BY id;
SELECT id FROM people WHERE city IN ('Oslo', 'Lima') ORDER BY id;
SELECT id FROM people WHERE city NOT IN ('Oslo', 'Lima') ORDER BY id;
SELECT id FROM people WHERE name LIKE '_a%' ORDER BY id;
SELECT id FROM people WHERE name ILIKE '%E%' ORDER BY id;
SELECT id FROM people WHERE joined >= '2020-01-01' AND joined < '2022-01-01' ORDER BY id;
SELECT id FROM people WHERE score BETWEEN 70 AND 90 ORDER BY id;
SELECT id FROM people WHERE age IS NULL ORDER BY id;
SELECT id FROM people WHERE true ORDER BY id LIMIT 3;
SELECT id FROM people WHERE false;
SELECT id FROM people WHERE NULL;
SELECT id FROM people WHERE id = 3 AND id = 4;
SELECT id FROM people WHERE length(name) = 3 AND upper(name) = name ORDER BY id;
SELECT id FROM people WHERE age / 2 > 20 ORDER BY id;
SELECT id FROM people WHERE age = 28.0 ORDER BY id;

SELECT id, age FROM people ORDER BY age, id;
SELECT id, age FROM people ORDER BY age DESC, id;
SELECT id, age FROM people ORDER BY age NULLS FIRST, id;
SELECT id, age FROM people ORDER BY age DESC NULLS LAST, id;
SELECT id, age FROM people ORDER BY age ASC NULLS LAST, id DESC;
SELECT id, city FROM people ORDER BY city, id;
SELECT id, city FROM people ORDER BY city DESC, id;
SELECT id, name FROM people ORDER BY name;
SELECT id, name FROM people ORDER BY lower(name);
SELECT id, name FROM people ORDER BY name COLLATE "C" DESC;
SELECT id, score FROM people ORDER BY score DESC NULLS FIRST, id;
SELECT id, joined FROM people ORDER BY joined, id;
SELECT id, name, age FROM people ORDER BY 3, 1;
SELECT id, age * 2 AS double_age FROM people ORDER BY double_age DESC NULLS LAST, id;
SELECT id FROM people ORDER BY age + id, id;
SELECT id, name FROM people ORDER BY city IS NULL, city, id;
SELECT id FROM people ORDER BY CASE WHEN city = 'Rome' THEN 0 ELSE 1 END, id;
SELECT name FROM people ORDER BY id DESC;
SELECT id FROM people ORDER BY 2; -- error 42P10
SELECT id FROM people ORDER BY nope; -- error 42703

SELECT id FROM people ORDER BY id LIMIT 3;
SELECT id FROM people ORDER BY id LIMIT 3 OFFSET 2;
SELECT id FROM people ORDER BY id OFFSET 8;
SELECT id FROM people ORDER BY id OFFSET 20;
SELECT id FROM people ORDER BY id LIMIT 0;
SELECT id FROM people ORDER BY id LIMIT ALL;
SELECT id FROM people ORDER BY id LIMIT NULL;
SELECT id FROM people ORDER BY id DESC LIMIT 2 OFFSET 1;
SELECT id, age FROM people ORDER BY age DESC NULLS LAST, id LIMIT 4;
SELECT id FROM people ORDER BY id FETCH FIRST 2 ROWS ONLY;
SELECT id FROM people ORDER BY id OFFSET 1 ROWS FETCH NEXT 3 ROWS ONLY;
SELECT id FROM people ORDER BY id LIMIT 2 + 1 OFFSET 10 - 9;
SELECT id FROM people ORDER BY id LIMIT -1; -- error 2201W
SELECT id FROM people ORDER BY id OFFSET -1; -- error 2201X
SELECT id FROM people ORDER BY id LIMIT 'x'; -- error 22P02
SELECT count(*) FROM (SELECT id FROM people ORDER BY id LIMIT 5) s;
SELECT name FROM people WHERE city = 'Rome' ORDER BY age DESC LIMIT 1;

SELECT DISTINCT city FROM people ORDER BY city;
SELECT DISTINCT city FROM people ORDER BY city NULLS FIRST;
SELECT DISTINCT age FROM people ORDER BY age DESC NULLS LAST;
SELECT DISTINCT city, age FROM people ORDER BY city, age;
SELECT DISTINCT score FROM people WHERE score IS NOT NULL ORDER BY score;
SELECT DISTINCT lower(city) AS c FROM people ORDER BY c;
SELECT count(DISTINCT city), count(DISTINCT lower(city)) FROM people;
-- unordered
SELECT DISTINCT joined FROM people;
SELECT DISTINCT ON (city) city, name, age FROM people ORDER BY city, age DESC NULLS LAST, id;
SELECT DISTINCT ON (age) age, id FROM people ORDER BY age, id;
SELECT DISTINCT city FROM people ORDER BY age; -- error 42P10

SELECT 1 AS one, 'two' AS two, 3.0 AS three;
SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) AS v(n, s) ORDER BY n;
SELECT n * 10 FROM (VALUES (1), (2)) v(n) ORDER BY 1;
VALUES (1, 'x'), (2, 'y');
VALUES (3), (1), (2) ORDER BY 1;
SELECT * FROM (VALUES (1, 2), (3, 'x')) v(a, b); -- error 22P02
SELECT count(*) FROM people, (VALUES (1), (2)) v(n);
-- unordered
SELECT name FROM people WHERE id < 4;
-- unordered
SELECT city, count(*) FROM people GROUP BY city;
SELECT t.id, t.name FROM people AS t WHERE t.age < 30 ORDER BY t.id;
SELECT people.name FROM people WHERE people.id = 1;
SELECT * FROM people p WHERE p.id IN (SELECT id FROM people WHERE age > 60);
