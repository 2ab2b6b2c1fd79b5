INSERT INTO items_copy (id, sku) SELECT 500 + n, 'gen' || n FROM (VALUES (1), (2), (3)) AS v(n);
