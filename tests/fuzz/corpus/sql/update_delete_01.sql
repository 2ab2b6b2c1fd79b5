UPDATE cust SET tier = 'vip' WHERE id IN (SELECT cust_id FROM orders GROUP BY cust_id HAVING sum(total) > 300);
