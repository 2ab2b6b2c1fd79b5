COPY items (id, sku) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL '');
