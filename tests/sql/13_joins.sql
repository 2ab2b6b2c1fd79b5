-- Joins: INNER, LEFT, RIGHT, FULL [OUTER], CROSS, comma joins, USING, NATURAL, self joins,
-- joins on non-key columns and on NULLs, ON versus WHERE for outer joins, three-way joins,
-- aggregates over joins, ambiguous names (42702).

CREATE TABLE dept (id int PRIMARY KEY, name text NOT NULL, floor int); -- cairn: DISTRIBUTED GLOBALLY
CREATE TABLE emp (
    id int PRIMARY KEY,
    name text NOT NULL,
    dept_id int,
    boss_id int,
    salary numeric(8,2)
); -- cairn: DISTRIBUTED BY (id)
CREATE TABLE proj (code text PRIMARY KEY, dept_id int, lead_id int, budget int);
INSERT INTO dept VALUES (1, 'eng', 3), (2, 'ops', 1), (3, 'sales', 2), (4, 'empty', NULL);
INSERT INTO emp VALUES
    (1, 'ann', 1, NULL, 5000.00),
    (2, 'bob', 1, 1, 4000.00),
    (3, 'cid', 2, 1, 3500.50),
    (4, 'dee', 2, 3, 3500.50),
    (5, 'eve', NULL, 1, 2000.00),
    (6, 'fay', 3, 1, NULL),
    (7, 'gus', 9, 6, 1000.00);
INSERT INTO proj VALUES ('p1', 1, 2, 100), ('p2', 1, 1, 50), ('p3', 2, 4, 70), ('p4', NULL, NULL, 10), ('p5', 3, 99, 0);

SELECT e.id, e.name, d.name FROM emp e JOIN dept d ON e.dept_id = d.id ORDER BY e.id;
SELECT e.id, e.name, d.name FROM emp e INNER JOIN dept d ON d.id = e.dept_id WHERE d.floor > 1 ORDER BY e.id;
SELECT e.id, d.id, d.name FROM emp e LEFT JOIN dept d ON e.dept_id = d.id ORDER BY e.id;
SELECT e.id, d.id, d.name FROM emp e LEFT OUTER JOIN dept d ON e.dept_id = d.id AND d.floor > 1 ORDER BY e.id;
SELECT e.id, d.id FROM emp e LEFT JOIN dept d ON e.dept_id = d.id WHERE d.floor > 1 ORDER BY e.id;
SELECT e.id, d.id FROM emp e LEFT JOIN dept d ON e.dept_id = d.id WHERE d.id IS NULL ORDER BY e.id;
SELECT d.id, d.name, e.id FROM emp e RIGHT JOIN dept d ON e.dept_id = d.id ORDER BY d.id, e.id;
SELECT d.id, count(e.id) FROM emp e RIGHT OUTER JOIN dept d ON e.dept_id = d.id GROUP BY d.id ORDER BY d.id;
SELECT e.id AS emp, d.id AS dept FROM emp e FULL JOIN dept d ON e.dept_id = d.id ORDER BY e.id NULLS LAST, d.id;
SELECT e.id AS emp, d.id AS dept FROM emp e FULL OUTER JOIN dept d ON e.dept_id = d.id WHERE e.id IS NULL OR d.id IS NULL ORDER BY e.id NULLS FIRST, d.id;
SELECT count(*) FROM emp CROSS JOIN dept;
SELECT e.id, d.id FROM emp e CROSS JOIN dept d WHERE e.id <= 2 AND d.id <= 2 ORDER BY e.id, d.id;
SELECT e.id, d.id FROM emp e, dept d WHERE e.dept_id = d.id AND d.name = 'ops' ORDER BY e.id;
SELECT count(*) FROM emp, dept, proj;

CREATE TABLE a (k int, va text);
CREATE TABLE b (k int, vb text);
INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (2, 'a2bis'), (NULL, 'anull'), (4, 'a4');
INSERT INTO b VALUES (2, 'b2'), (2, 'b2bis'), (3, 'b3'), (NULL, 'bnull'), (4, 'b4');
SELECT a.k, va, vb FROM a JOIN b ON a.k = b.k ORDER BY va, vb;
SELECT a.k, va, vb FROM a LEFT JOIN b ON a.k = b.k ORDER BY va, vb;
SELECT b.k, va, vb FROM a RIGHT JOIN b ON a.k = b.k ORDER BY vb, va;
SELECT a.k AS ak, b.k AS bk, va, vb FROM a FULL JOIN b ON a.k = b.k ORDER BY va NULLS LAST, vb;
SELECT k, va, vb FROM a JOIN b USING (k) ORDER BY va, vb;
SELECT k, va, vb FROM a FULL JOIN b USING (k) ORDER BY k NULLS LAST, va NULLS LAST, vb NULLS LAST;
SELECT * FROM a NATURAL JOIN b ORDER BY va, vb;
SELECT * FROM a JOIN b USING (k) ORDER BY va, vb;
SELECT a.*, b.vb FROM a LEFT JOIN b ON a.k = b.k AND b.vb LIKE '%bis' ORDER BY va;
SELECT va, vb FROM a JOIN b ON a.k IS NOT DISTINCT FROM b.k ORDER BY va, vb;
SELECT va, vb FROM a JOIN b ON a.k < b.k ORDER BY va, vb;
SELECT va, vb FROM a JOIN b ON true WHERE a.k = 4 ORDER BY vb;
SELECT count(*), count(a.k), count(b.k) FROM a FULL JOIN b ON a.k = b.k;
SELECT k FROM a JOIN b ON a.k = b.k; -- error 42702
SELECT k FROM a, b; -- error 42702
SELECT a.k FROM a JOIN b ON a.nope = b.k; -- error 42703
SELECT * FROM a JOIN nosuch ON true; -- error 42P01
SELECT * FROM a JOIN b; -- error 42601

SELECT e.name AS worker, b.name AS boss FROM emp e LEFT JOIN emp b ON e.boss_id = b.id ORDER BY e.id;
SELECT b.name, count(*) AS reports FROM emp e JOIN emp b ON e.boss_id = b.id GROUP BY b.name ORDER BY reports DESC, b.name;
SELECT e1.id, e2.id FROM emp e1 JOIN emp e2 ON e1.salary = e2.salary AND e1.id < e2.id ORDER BY 1, 2;
SELECT p.code, d.name AS dept, e.name AS lead FROM proj p LEFT JOIN dept d ON p.dept_id = d.id LEFT JOIN emp e ON p.lead_id = e.id ORDER BY p.code;
SELECT p.code, e.name FROM proj p JOIN emp e ON p.lead_id = e.id JOIN dept d ON e.dept_id = d.id AND d.id = p.dept_id ORDER BY p.code;
SELECT d.name, sum(p.budget) AS budget, count(DISTINCT e.id) AS people FROM dept d LEFT JOIN proj p ON p.dept_id = d.id LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY d.name;
SELECT d.name, coalesce(sum(e.salary), 0) AS payroll FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.id, d.name ORDER BY payroll DESC, d.name;
SELECT d.name, avg(e.salary) FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.name HAVING count(*) >= 2 ORDER BY d.name;
SELECT e.name FROM emp e JOIN (SELECT dept_id, max(salary) AS top FROM emp GROUP BY dept_id) m ON e.dept_id = m.dept_id AND e.salary = m.top ORDER BY e.name;
SELECT x.n, y.n FROM (VALUES (1), (2)) x(n) JOIN (VALUES (2), (3)) y(n) ON x.n = y.n;
SELECT x.n, y.n FROM (VALUES (1), (2)) x(n) FULL JOIN (VALUES (2), (3)) y(n) ON x.n = y.n ORDER BY x.n NULLS LAST, y.n;
SELECT d.name FROM dept d LEFT JOIN emp e ON e.dept_id = d.id WHERE e.id IS NULL ORDER BY d.name;
SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept_id = d.id ORDER BY d.name DESC, e.name LIMIT 3;
SELECT e.name, p.code FROM emp e JOIN proj p ON p.lead_id = e.id OR p.dept_id = e.dept_id ORDER BY e.name, p.code;
SELECT count(*) FROM emp e1 JOIN emp e2 ON e1.id <> e2.id;
-- unordered
SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept_id = d.id;
