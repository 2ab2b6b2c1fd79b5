SELECT d.name, avg(e.salary) FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.name HAVING count(*) >= 2 ORDER BY d.name;
