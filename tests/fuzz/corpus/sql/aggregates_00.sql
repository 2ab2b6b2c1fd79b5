SELECT string_agg(DISTINCT product, '|' ORDER BY product) FROM sales;
