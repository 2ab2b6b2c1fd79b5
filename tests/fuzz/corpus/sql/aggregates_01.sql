SELECT product, sum(qty) FILTER (WHERE qty > 0) FROM sales GROUP BY product ORDER BY sum(qty) DESC NULLS LAST, product;
