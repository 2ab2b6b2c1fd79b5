SELECT id FROM cust c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id HAVING count(*) > 1) ORDER BY id;
