INSERT INTO idx VALUES (1, 10, 'x', 1), (2, 20, 'y', 2), (3, 10, 'z', 3), (4, NULL, NULL, 4) RETURNING id, a * 2 AS twice;
