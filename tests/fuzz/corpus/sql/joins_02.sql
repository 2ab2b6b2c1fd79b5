SELECT c.id, l.total FROM cust c CROSS JOIN LATERAL (SELECT total FROM orders o WHERE o.cust_id = c.id ORDER BY total DESC LIMIT 1) l ORDER BY c.id;
